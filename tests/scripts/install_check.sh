#!/bin/sh
# `make install` into a scratch DESTDIR: every file lands where the man pages say, the
# installed ghrd finds its workers beside it (../libexec/ghr), and checks a config.
set -u
build=${1:-build}
dest=$(mktemp -d /tmp/ghr-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "install: FAIL: $*"; }

if make --no-print-directory BUILD="$build" install DESTDIR="$dest" PREFIX=/usr >"$dest.log" 2>&1; then ok; else bad "make install failed (see $dest.log)"; fi
for f in usr/sbin/ghrd usr/bin/ghr-ctl usr/libexec/ghr/github usr/libexec/ghr/openstack \
         usr/libexec/ghr/scaler usr/share/man/man8/ghrd.8 usr/share/man/man1/ghr-ctl.1 \
         usr/share/man/man5/ghr.yaml.5 usr/share/man/man7/ghr-protocol.7 \
         usr/lib/systemd/system/ghrd.service usr/lib/tmpfiles.d/ghr.conf usr/lib/sysusers.d/ghr.conf \
         usr/share/doc/ghr/examples/ghr.yaml usr/share/doc/ghr/examples/clouds.yaml \
         etc/logrotate.d/ghr; do
	if [ -e "$dest/$f" ]; then ok; else bad "$f not installed"; fi
done
if [ -e "$dest/usr/libexec/ghr/fake" ]; then bad "the test worker was installed"; else ok; fi
if grep -q "ExecStart=/usr/sbin/ghrd" "$dest/usr/lib/systemd/system/ghrd.service"; then ok; else bad "ghrd.service does not start /usr/sbin/ghrd"; fi
if grep -q "@SBINDIR@" "$dest/usr/lib/systemd/system/ghrd.service"; then bad "@SBINDIR@ left in ghrd.service"; else ok; fi
# The installed ghrd checks a configuration without starting (exit 0), and refuses a bad one with 78.
cfg="$dest/ok.yaml"
tok="$dest/token"
printf 'ghp_installcheck000000000000000000000000\n' > "$tok"
chmod 0600 "$tok"
cat > "$cfg" <<YAML
manager_id: inst
github: {path: ghr-org, auth: {token_file: $tok}}
openstack: {cloud: none, clouds_yaml: $dest/clouds.yaml}
YAML
# The shipped defaults: every worker its own user.  As root on a machine without those
# users, ghrd -n says which one is missing (78); with existing ones it passes.
if [ "$(id -u)" -eq 0 ] && ! getent passwd ghr-github >/dev/null; then
	out=$("$dest/usr/sbin/ghrd" -n -f "$cfg" 2>&1); rc=$?
	if [ $rc -eq 78 ] && echo "$out" | grep -q 'user "ghr-github" does not exist'; then ok
	else bad "ghrd -n without the ghr users exited $rc ($out), want 78 naming ghr-github"; fi
fi
if [ "$(id -u)" -eq 0 ]; then
	printf 'supervisor: {user: nobody, group: nogroup}\n' >> "$cfg"
fi
# sysusers.d/ghr.conf creates a user for every installed worker (and parses cleanly).
if command -v systemd-sysusers >/dev/null; then
	mkdir -p "$dest/etc"
	if systemd-sysusers --root="$dest" "$dest/usr/lib/sysusers.d/ghr.conf" >/dev/null 2>&1; then ok
	else bad "systemd-sysusers refused sysusers.d/ghr.conf"; fi
	for w in "$dest"/usr/libexec/ghr/*; do
		u="ghr-$(basename "$w")"
		if grep -q "^$u:" "$dest/etc/passwd"; then ok; else bad "sysusers.d/ghr.conf creates no user $u"; fi
	done
else
	echo "install: systemd-sysusers not installed: sysusers.d/ghr.conf not exercised"
fi
cat > "$dest/clouds.yaml" <<YAML
clouds:
  none:
    auth_type: password
    auth: {auth_url: "http://127.0.0.1:1/identity/v3", username: u, password: p, project_name: p, user_domain_name: Default, project_domain_name: Default}
YAML
"$dest/usr/sbin/ghrd" -n -f "$cfg" >/dev/null 2>&1; rc=$?
if [ $rc -eq 0 ]; then ok; else bad "installed ghrd -n on a valid config exited $rc"; fi
printf 'manager_id: inst\nbogus: 1\n' > "$dest/bad.yaml"
"$dest/usr/sbin/ghrd" -n -f "$dest/bad.yaml" >/dev/null 2>&1; rc=$?
if [ $rc -eq 78 ]; then ok; else bad "installed ghrd -n on a bad config exited $rc, want 78"; fi
rm -f "$dest.log"
echo "install: $pass passed, $fail failed"
[ $fail -eq 0 ]
