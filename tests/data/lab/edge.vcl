# The lab's edge (scripts/lab): varnish in front of the nginx origin. Static
# assets are cached for an hour, like a real CDN's long TTL on versionless
# URLs; pages go to the origin every time. PURGE (one URL) and BAN (everything)
# are taken from loopback only.
vcl 4.1;
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
	if (req.url !~ "^/static/") { return (pass); }
}
sub vcl_backend_response {
	if (bereq.url ~ "^/static/") { set beresp.ttl = 1h; }
}
