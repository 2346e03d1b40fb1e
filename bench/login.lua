-- wrk script: sign in through the API (argon2 verification on every request).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username": "admin", "password": "bench-admin-password"}'
