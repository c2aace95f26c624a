// gRPC status codes by name (grpc/doc/statuscodes.md), the one list the gateway's rooms share.
#pragma once

namespace switchboard::gateway {

inline constexpr int kGrpcOk = 0;
inline constexpr int kGrpcCancelled = 1;
inline constexpr int kGrpcUnknown = 2;
inline constexpr int kGrpcInvalidArgument = 3;
inline constexpr int kGrpcDeadlineExceeded = 4;
inline constexpr int kGrpcNotFound = 5;
inline constexpr int kGrpcAlreadyExists = 6;
inline constexpr int kGrpcPermissionDenied = 7;
inline constexpr int kGrpcResourceExhausted = 8;
inline constexpr int kGrpcFailedPrecondition = 9;
inline constexpr int kGrpcAborted = 10;
inline constexpr int kGrpcOutOfRange = 11;
inline constexpr int kGrpcUnimplemented = 12;
inline constexpr int kGrpcInternal = 13;
inline constexpr int kGrpcUnavailable = 14;
inline constexpr int kGrpcDataLoss = 15;
inline constexpr int kGrpcUnauthenticated = 16;
inline constexpr int kGrpcMaxCode = kGrpcUnauthenticated;

}  // namespace switchboard::gateway
