/**
 * The dashboard's session cookie and CSRF rules, through the real app in-process: cookie
 * attributes (Secure behind https), sign-in refused from another origin, the redirect target kept
 * on this site, CSRF by header or form field, Authorization headers unaffected, and the assets'
 * cache headers.
 */
import { gunzipSync } from "node:zlib"
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { Effect } from "effect"
import { makeTokenRepo } from "../src/auth/TokenRepo.ts"
import { csrfFor } from "../src/dashboard/session/session.ts"
import { Store } from "../src/store/Store.ts"
import { testBackends } from "./harness/db.ts"
import { withSecureApp } from "./harness/security.ts"

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
const FORM = "application/x-www-form-urlencoded"

const backend = testBackends()[0]!

describe(`dashboard session (${backend.name})`, () => {
  test("cookie, sign-in, CSRF and assets", async () => {
    await withSecureApp(backend, {}, async (t) => {
      const token = (await t.run(Effect.flatMap(Effect.service(Store), (s) => makeTokenRepo(s).create("ops", "write"))))
        .token
      const post = (path: string, body: string, headers: Record<string, string> = {}) =>
        t.app.request(path, { method: "POST", body, headers: { "content-type": FORM, ...headers }, redirect: "manual" })

      // Sign-in: a wrong token stays on the form (401), another site's form is refused (403).
      const wrong = await post("/login", form({ token: "infra_nope_nope", next: "/" }))
      assert.equal(wrong.status, 401)
      assert.equal(wrong.headers.get("set-cookie"), null)
      assert.match(await wrong.text(), /role="alert"/)
      const crossSite = await post("/login", form({ token, next: "/" }), { origin: "http://evil.example" })
      assert.equal(crossSite.status, 403)
      assert.equal(crossSite.headers.get("set-cookie"), null)

      // Behind an https proxy the cookie is Secure; the redirect never leaves this site.
      const ok = await post("/login", form({ token, next: "//evil.example/x" }), {
        "x-forwarded-proto": "https",
        origin: "http://localhost",
        host: "localhost",
      })
      assert.equal(ok.status, 303)
      assert.equal(ok.headers.get("location"), "/")
      const cookie = ok.headers.get("set-cookie") ?? ""
      assert.match(cookie, /^infra_session=infra_[^;]+; HttpOnly; SameSite=Strict; Path=\/; Secure$/)
      const plain = await post("/login", form({ token, next: "/devices/x" }))
      assert.equal(plain.headers.get("location"), "/devices/x")
      assert.doesNotMatch(plain.headers.get("set-cookie") ?? "", /Secure/)

      const session = { cookie: `infra_session=${token}` }
      // A cookie-authenticated write needs the CSRF value, by header or form field.
      const clear = (headers: Record<string, string>, body?: string) =>
        t.app.request("/api/cache", { method: "DELETE", headers: { ...session, ...headers }, body })
      const refused = await clear({})
      assert.equal(refused.status, 403)
      assert.equal(((await refused.json()) as any).error.code, "csrf_failed")
      assert.equal((await clear({ "x-csrf-token": csrfFor("infra_other_token") })).status, 403)
      assert.equal((await clear({ "x-csrf-token": csrfFor(token) })).status, 200)
      assert.equal((await clear({ "content-type": FORM }, form({ _csrf: csrfFor(token) }))).status, 200)
      // Reads need none; an Authorization header is not a cookie session, so no CSRF either.
      assert.equal((await t.app.request("/api/cache", { headers: session })).status, 200)
      assert.equal((await clear({ authorization: `Bearer ${token}` })).status, 200)
      // A cookie that is not a valid token: 401 for the API, the sign-in form for a page.
      const bad = { cookie: "infra_session=infra_abc_def" }
      assert.equal((await t.app.request("/api/devices", { headers: bad })).status, 401)
      const page = await t.app.request("/", { headers: bad, redirect: "manual" })
      assert.equal(page.status, 302)
      assert.equal(page.headers.get("location"), "/login?next=%2F")

      // The page carries the CSRF value in a meta tag, and its security headers.
      const fleet = await t.app.request("/", { headers: session })
      assert.equal(fleet.status, 200)
      const html = await fleet.text()
      assert.ok(html.includes(`<meta name="csrf-token" content="${csrfFor(token)}"/>`), "csrf meta")
      assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, "no inline script")
      assert.match(fleet.headers.get("content-security-policy") ?? "", /script-src 'self'/)
      assert.equal(fleet.headers.get("cache-control"), "no-store")

      // Sign-out needs the CSRF value too, then clears the cookie.
      assert.equal((await post("/logout", form({}), session)).status, 403)
      const out = await post("/logout", form({ _csrf: csrfFor(token) }), session)
      assert.equal(out.status, 303)
      assert.match(out.headers.get("set-cookie") ?? "", /^infra_session=; .*Max-Age=0/)

      // Assets: the hashed URL is cached for good, any other hash is revalidated, unknown names 404.
      const href = /href="(\/assets\/([0-9a-f]{12})\/style\.css)"/.exec(html)
      assert.ok(href !== null, "stylesheet link with a content hash")
      const css = await t.app.request(href[1]!)
      assert.equal(css.status, 200)
      assert.match(css.headers.get("content-type") ?? "", /^text\/css/)
      assert.equal(css.headers.get("cache-control"), "public, max-age=31536000, immutable")
      assert.equal(css.headers.get("x-content-type-options"), "nosniff")
      assert.equal((await t.app.request("/assets/000000000000/style.css")).headers.get("cache-control"), "no-cache")
      assert.equal((await t.app.request("/assets/000000000000/nothing.js")).status, 404)
      // Gzipped for a browser that takes it (the same bytes once inflated), plain for one that does not.
      const zipped = await t.app.request(href[1]!, { headers: { "accept-encoding": "gzip, deflate, br" } })
      assert.equal(zipped.headers.get("content-encoding"), "gzip")
      assert.equal(zipped.headers.get("vary"), "accept-encoding")
      const cssText = await css.text()
      assert.equal(gunzipSync(new Uint8Array(await zipped.arrayBuffer())).toString("utf8"), cssText)
      assert.equal(css.headers.get("content-encoding"), null)
    })
  })
})
