"""ghr-sim: a loopback simulator of Keystone, Nova, Glance, Neutron and the
GitHub Actions runner API, built for testing ghr.

Modules:
  util      time, ids, small helpers
  config    defaults, every knob (one table), config-file loading
  httpd     threaded HTTP/1.1 plumbing (request/response, reset, hang)
  faults    fault rules: matching, counting, per-service error bodies
  state     the shared world: regions, servers, images, runners, jobs, scheduler
  keystone  /identity/v3
  nova      /compute/v2.1
  glance    /image/v2
  neutron   /network/v2.0
  github    /github (org, repo, enterprise runner APIs, app tokens, rate limits)
  jwtrsa    RS256 verification with a tiny DER parser (stdlib only)
  lifecycle VM boot -> runner online -> job -> runner gone -> VM SHUTOFF
  webhooks  signed workflow_job deliveries
  control   the control/observation API
  app       wires it all together; main()
"""
