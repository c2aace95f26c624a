// Counts of this machine's TCP connections, as tests check which connections a proxy holds.
#pragma once

namespace switchboard::testing {

// Established TCP connections (either end) whose remote port is `port`, from /proc/net/tcp.
int EstablishedConnectionsTo(int port);

}  // namespace switchboard::testing
