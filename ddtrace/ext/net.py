"""Tag names describing the network peer of a span."""

#: Host name (or address) the client connected to.
TARGET_HOST = "out.host"
#: Port the client connected to.
TARGET_PORT = "network.destination.port"
#: IP address the client connected to.
TARGET_IP = "network.destination.ip"
#: Logical address of the server (host name as configured by the user).
SERVER_ADDRESS = "server.address"
#: Host name of the peer, when different from ``out.host``.
PEER_HOSTNAME = "peer.hostname"
#: Bytes sent.
BYTES_OUT = "net.out.bytes"
