# The test edge: caches everything for an hour, takes PURGE (one URL) and
# BAN (everything) from loopback only, and answers both itself.
vcl 4.1;
import std;
backend origin { .host = "127.0.0.1"; .port = "ORIGIN_PORT"; }
acl purgers { "127.0.0.1"; }
sub vcl_recv {
	if (req.method == "PURGE") {
		if (!client.ip ~ purgers) { return (synth(405, "Not allowed")); }
		return (purge);
	}
	if (req.method == "BAN") {
		if (!client.ip ~ purgers) { return (synth(405, "Not allowed")); }
		ban("obj.status != 0");
		return (synth(200, "Banned"));
	}
}
sub vcl_backend_response { set beresp.ttl = 1h; }
