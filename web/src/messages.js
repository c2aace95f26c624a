// Message classes for the grpc-web runtime, built on protobufjs from the contracts that
// build.mjs compiled out of proto/ (no protoc-gen-grpc-web: its npm package downloads a binary).
//
// The runtime only needs what protoc-gen-grpc-web's generated classes give it: an instance
// method serializeBinary() on requests and a static deserializeBinary(bytes) on responses.
import protobuf from 'protobufjs/light';
import contracts from 'virtual:switchboard-contracts';

const root = protobuf.Root.fromJSON(contracts);

// How decoded messages become plain objects: field names as in the .proto files (build.mjs
// loads with keepCase), int64 as Number (ms timestamps, cents and counts here stay far below
// 2^53), enums by name, and absent fields as their proto3 defaults.
const kToObjectOptions = { longs: Number, enums: String, defaults: true };

// A class for the message `fullName` (e.g. "switchboard.ticket.v1.Event"): `new C({...})`
// holds the fields as own properties, exactly as toObject() gives them.
export function messageClass(fullName) {
  const type = root.lookupType(fullName);
  return class {
    constructor(fields = {}) {
      Object.assign(this, fields);
    }

    serializeBinary() {
      const invalid = type.verify(this);
      if (invalid) throw new Error(`${fullName}: ${invalid}`);
      return type.encode(type.fromObject(this)).finish();
    }

    static deserializeBinary(bytes) {
      return new this(type.toObject(type.decode(bytes), kToObjectOptions));
    }

    static get typeName() {
      return fullName;
    }
  };
}
