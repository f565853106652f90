-- wrk script: POST /api/v1/auth/login with the admin's credentials (EMAIL, PASSWORD).
wrk.method = "POST"
wrk.path = "/api/v1/auth/login"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email": "%s", "password": "%s"}', os.getenv("EMAIL"), os.getenv("PASSWORD"))
