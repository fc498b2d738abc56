# tests/data/cdn/servers.bash: the cdn tests' servers (sourced after
# tests/lib.sh): a real nginx origin serving $TMP/www and a real varnishd
# edge in front of it (tests/data/cdn/edge.vcl: PURGE and BAN from
# loopback), each on a free loopback port, stopped by pid at exit. Sets
# OPORT, EPORT, EDGE, ORIGIN, VARNISH_PID; purges counts the PURGE requests in varnish's log.
# CDN_NGINX_EXTRA, when set, goes into the origin's server block (locations).
cdn_servers_up() {
	OPORT=$(free_port)
	EPORT=$(free_port)
	mkdir -p "$TMP/www/static" "$TMP/logs" "$TMP/tmp"
	chmod 755 "$TMP" "$TMP/www" "$TMP/www/static"
	echo 'console.log("v1: booking button broken");' >"$TMP/www/static/app.js"
	echo 'body { color: black }' >"$TMP/www/static/app.css"
	echo '<html>home</html>' >"$TMP/www/index.html"
	cat >"$TMP/nginx.conf" <<-CONF
	worker_processes 1;
	pid $TMP/nginx.pid;
	error_log $TMP/logs/error.log error;
	events { worker_connections 64; }
	http {
		access_log $TMP/logs/access.log;
		client_body_temp_path $TMP/tmp/body;
		proxy_temp_path $TMP/tmp/proxy;
		fastcgi_temp_path $TMP/tmp/fastcgi;
		uwsgi_temp_path $TMP/tmp/uwsgi;
		scgi_temp_path $TMP/tmp/scgi;
		server { listen 127.0.0.1:$OPORT; root $TMP/www; ${CDN_NGINX_EXTRA:-} }
	}
	CONF
	nginx -c "$TMP/nginx.conf" -p "$TMP" -g 'daemon off;' 2>"$TMP/nginx.stderr" &
	track_pid $!
	wait_for 5 curl -sf "http://127.0.0.1:$OPORT/" || { diag <"$TMP/nginx.stderr"; not_ok "nginx starts"; finish; }
	ok "nginx origin on 127.0.0.1:$OPORT"

	sed "s/ORIGIN_PORT/$OPORT/" "$TOP/tests/data/cdn/edge.vcl" >"$TMP/edge.vcl"
	# -F keeps varnishd in the foreground, so its pid is ours to stop; -j none:
	# no jail (the test may run as root, and the default jail wants a varnish user).
	varnishd -F -n "$TMP/varnish" -a "127.0.0.1:$EPORT" -T none -f "$TMP/edge.vcl" -s malloc,32m -j none \
		>"$TMP/varnishd.log" 2>&1 &
	VARNISH_PID=$!
	# Not a job bash reports on: it is stopped below, by pid, and waited for.
	disown "$VARNISH_PID"
	trap 'cdn_servers_down; cleanup' EXIT
	wait_for 15 curl -sf "http://127.0.0.1:$EPORT/" || { diag <"$TMP/varnishd.log"; not_ok "varnishd starts"; finish; }
	ok "varnishd edge on 127.0.0.1:$EPORT"
	EDGE="http://127.0.0.1:$EPORT"
	ORIGIN="http://127.0.0.1:$OPORT"
}

# A second varnishd edge in front of the same origin, with its own cache
# (after cdn_servers_up): sets EPORT2, EDGE2, VARNISH2_PID; its instance is
# $TMP/varnish2 (varnishlog -n).
cdn_edge2_up() {
	EPORT2=$(free_port)
	varnishd -F -n "$TMP/varnish2" -a "127.0.0.1:$EPORT2" -T none -f "$TMP/edge.vcl" -s malloc,32m -j none \
		>"$TMP/varnishd2.log" 2>&1 &
	VARNISH2_PID=$!
	disown "$VARNISH2_PID"
	wait_for 15 curl -sf "http://127.0.0.1:$EPORT2/" || { diag <"$TMP/varnishd2.log"; not_ok "the second varnishd starts"; finish; }
	ok "second varnishd edge on 127.0.0.1:$EPORT2"
	EDGE2="http://127.0.0.1:$EPORT2"
}

# Stops a varnishd by its pid and waits until it (and its cache child) are gone.
cdn_varnish_stop() {
	local pid=$1 kids
	kids=$(pgrep -P "$pid" 2>/dev/null)
	kill "$pid" 2>/dev/null
	local end=$((SECONDS + 15))
	while kill -0 "$pid" 2>/dev/null && ((SECONDS < end)); do sleep 0.1; done
	for k in $kids; do
		while kill -0 "$k" 2>/dev/null && ((SECONDS < end)); do sleep 0.1; done
	done
}

# Stops the varnishd edges before lib.sh's cleanup, which would kill -9 a
# manager still shutting down.
cdn_servers_down() {
	if [ -n "${VARNISH2_PID:-}" ]; then
		cdn_varnish_stop "$VARNISH2_PID"
		VARNISH2_PID=
	fi
	[ -n "${VARNISH_PID:-}" ] || return 0
	cdn_varnish_stop "$VARNISH_PID"
	VARNISH_PID=
}

purges() { varnishlog -n "$TMP/varnish" -d -g request -q 'ReqMethod eq "PURGE"' 2>/dev/null | grep -c 'ReqMethod *PURGE'; }
