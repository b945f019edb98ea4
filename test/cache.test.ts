import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { Data, Deferred, Effect, Exit, Fiber, Layer, Ref } from "effect"
import { TestClock } from "effect/testing"
import { Cache, cacheKey } from "../src/cache/Cache.ts"
import { type CacheOptions, makeCacheLayer } from "../src/cache/CacheLive.ts"
import { estimateSize, FALLBACK_SIZE_BYTES } from "../src/cache/size.ts"

class LoadFailed extends Data.TaggedError("LoadFailed")<{ readonly attempt: number }> {}

/** Run a program against a fresh cache whose time only moves when the test says so. */
const run = <A, E>(program: Effect.Effect<A, E, Cache>, options: CacheOptions = {}): Promise<A> =>
  Effect.runPromise(Effect.provide(program, Layer.mergeAll(makeCacheLayer(options), TestClock.layer())))

/** Yield until cond holds; fails instead of spinning forever. */
const waitUntil = (cond: () => boolean): Effect.Effect<void> =>
  Effect.gen(function* () {
    for (let i = 0; i < 10_000; i++) {
      if (cond()) return
      yield* Effect.yieldNow
    }
    return yield* Effect.die(new Error("condition never held"))
  })

describe("Cache", () => {
  it("serves a fresh entry until its TTL passes, then loads again", async () => {
    const result = await run(
      Effect.gen(function* () {
        const cache = yield* Cache
        const loads = yield* Ref.make(0)
        const load = Ref.updateAndGet(loads, (n) => n + 1)
        const first = yield* cache.getOrLoad("k", 1000, load)
        yield* TestClock.adjust("999 millis")
        const second = yield* cache.getOrLoad("k", 1000, load)
        yield* TestClock.adjust("1 millis")
        const third = yield* cache.getOrLoad("k", 1000, load)
        return { first, second, third, stats: cache.stats() }
      }),
    )
    assert.equal(result.first.hit, false)
    assert.equal(result.first.entry.value, 1)
    assert.equal(result.first.entry.expiresAt - result.first.entry.storedAt, 1000)
    assert.equal(result.second.hit, true)
    assert.equal(result.second.entry.value, 1)
    assert.equal(result.third.hit, false)
    assert.equal(result.third.entry.value, 2)
    assert.equal(result.stats.hits, 1)
    assert.equal(result.stats.misses, 2)
    assert.equal(result.stats.loads, 2)
  })

  it("stale-while-revalidate: an expired entry inside the window is a stale hit, only when allowed", async () => {
    const result = await run(
      Effect.gen(function* () {
        const cache = yield* Cache
        const loads = yield* Ref.make(0)
        const load = Ref.updateAndGet(loads, (n) => n + 1)
        yield* cache.getOrLoad("k", 1000, load, { allowStale: true })
        yield* TestClock.adjust("1500 millis")
        const stale = yield* cache.getOrLoad("k", 1000, load, { allowStale: true })
        const strict = yield* cache.getOrLoad("other", 1000, load)
        yield* TestClock.adjust("1500 millis")
        const strictExpired = yield* cache.getOrLoad("other", 1000, load)
        yield* TestClock.adjust("2000 millis")
        const beyond = yield* cache.getOrLoad("k", 1000, load, { allowStale: true })
        return { stale, strict, strictExpired, beyond, stats: cache.stats() }
      }),
      { staleWhileRevalidate: 1 },
    )
    assert.deepEqual([result.stale.hit, result.stale.stale, result.stale.entry.value], [true, true, 1])
    assert.equal(result.strict.hit, false)
    assert.equal(result.strictExpired.hit, false, "without allowStale an expired entry is a miss")
    assert.equal(result.beyond.hit, false, "past ttl × (1 + factor) it loads")
    assert.equal(result.stats.stale, 1)
  })

  it("evicts the least recently used entry when the entry count is exceeded", async () => {
    const stats = await run(
      Effect.gen(function* () {
        const cache = yield* Cache
        yield* cache.getOrLoad("a", 60_000, Effect.succeed("A"))
        yield* cache.getOrLoad("b", 60_000, Effect.succeed("B"))
        const touched = yield* cache.getOrLoad("a", 60_000, Effect.succeed("A2"))
        assert.equal(touched.hit, true)
        yield* cache.getOrLoad("c", 60_000, Effect.succeed("C"))
        assert.equal(cache.peek("b"), undefined)
        assert.equal(cache.peek<string>("a")?.value, "A")
        assert.equal(cache.peek<string>("c")?.value, "C")
        return cache.stats()
      }),
      { maxEntries: 2 },
    )
    assert.equal(stats.entries, 2)
    assert.equal(stats.evictions, 1)
    assert.equal(stats.maxEntries, 2)
  })

  it("evicts by total bytes and never stores an entry larger than maxBytes", async () => {
    const sizeOf = (s: string) => s.length
    const stats = await run(
      Effect.gen(function* () {
        const cache = yield* Cache
        yield* cache.getOrLoad("a", 60_000, Effect.succeed("x".repeat(40)), { sizeOf })
        yield* cache.getOrLoad("b", 60_000, Effect.succeed("y".repeat(40)), { sizeOf })
        assert.equal(cache.stats().bytes, 80)
        yield* cache.getOrLoad("c", 60_000, Effect.succeed("z".repeat(40)), { sizeOf })
        assert.equal(cache.peek("a"), undefined, "oldest entry evicted to get back under 100 bytes")
        assert.equal(cache.stats().bytes, 80)
        const huge = yield* cache.getOrLoad("big", 60_000, Effect.succeed("h".repeat(500)), { sizeOf })
        assert.equal(huge.entry.value.length, 500, "an oversized value is still returned")
        assert.equal(huge.entry.bytes, 500)
        assert.equal(cache.peek("big"), undefined, "but not stored")
        return cache.stats()
      }),
      { maxBytes: 100 },
    )
    assert.equal(stats.entries, 2)
    assert.equal(stats.bytes, 80)
    assert.equal(stats.evictions, 1)
  })

  it("measures by JSON length and falls back to a fixed estimate for cycles and BigInt", () => {
    assert.equal(estimateSize({ a: 1 }), JSON.stringify({ a: 1 }).length)
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    assert.equal(estimateSize(cyclic), FALLBACK_SIZE_BYTES)
    assert.equal(estimateSize({ n: 10n }), FALLBACK_SIZE_BYTES)
    assert.equal(estimateSize(undefined), FALLBACK_SIZE_BYTES)
    assert.equal(estimateSize("abc", () => Number.NaN), FALLBACK_SIZE_BYTES)
    assert.equal(
      estimateSize("abc", () => {
        throw new Error("boom")
      }),
      FALLBACK_SIZE_BYTES,
    )
  })

  it("runs load once for 20 concurrent misses and gives every caller the same entry", async () => {
    const result = await run(
      Effect.gen(function* () {
        const cache = yield* Cache
        const loads = yield* Ref.make(0)
        const gate = yield* Deferred.make<void>()
        const load = Effect.gen(function* () {
          const n = yield* Ref.updateAndGet(loads, (x) => x + 1)
          yield* Deferred.await(gate)
          return { run: n }
        })
        const callers = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          () => cache.getOrLoad("same", 60_000, load),
          { concurrency: "unbounded" },
        ).pipe(Effect.forkChild)
        yield* waitUntil(() => cache.stats().loads + cache.stats().coalesced === 20)
        yield* Deferred.succeed(gate, undefined)
        const lookups = yield* Fiber.join(callers)
        return { lookups, loadCount: yield* Ref.get(loads), stats: cache.stats() }
      }),
    )
    assert.equal(result.loadCount, 1)
    assert.equal(result.lookups.length, 20)
    const first = result.lookups[0]?.entry
    for (const l of result.lookups) {
      assert.equal(l.entry, first, "every caller gets the very same entry")
      assert.deepEqual(l.entry.value, { run: 1 })
    }
    assert.equal(result.stats.loads, 1)
    assert.equal(result.stats.coalesced, 19)
    assert.equal(result.stats.misses, 20)
  })

  it("shares a failure with concurrent waiters, does not cache it, and loads again next time", async () => {
    const result = await run(
      Effect.gen(function* () {
        const cache = yield* Cache
        const attempts = yield* Ref.make(0)
        const gate = yield* Deferred.make<void>()
        const failing = Effect.gen(function* () {
          const n = yield* Ref.updateAndGet(attempts, (x) => x + 1)
          yield* Deferred.await(gate)
          return yield* Effect.fail(new LoadFailed({ attempt: n }))
        })
        const fibers = yield* Effect.forEach(
          [1, 2, 3],
          () => Effect.forkChild(Effect.exit(cache.getOrLoad("f", 60_000, failing))),
        )
        yield* waitUntil(() => cache.stats().loads + cache.stats().coalesced === 3)
        yield* Deferred.succeed(gate, undefined)
        const exits = yield* Effect.forEach(fibers, Fiber.join)
        const stored = cache.peek("f")
        const next = yield* cache.getOrLoad("f", 60_000, Ref.updateAndGet(attempts, (x) => x + 1))
        return { exits, stored, next, attempts: yield* Ref.get(attempts) }
      }),
    )
    for (const exit of result.exits) {
      assert.ok(Exit.isFailure(exit))
      assert.deepEqual(Exit.findErrorOption(exit), Exit.findErrorOption(result.exits[0]!))
    }
    assert.equal(result.stored, undefined)
    assert.equal(result.next.hit, false)
    assert.equal(result.next.entry.value, 2, "second load ran after the failed one")
    assert.equal(result.attempts, 2)
  })

  it("force reloads a fresh entry, coalesces with a forced load in flight, and stores the result", async () => {
    const result = await run(
      Effect.gen(function* () {
        const cache = yield* Cache
        const loads = yield* Ref.make(0)
        const gate = yield* Deferred.make<void>()
        const load = Effect.gen(function* () {
          const n = yield* Ref.updateAndGet(loads, (x) => x + 1)
          if (n > 1) yield* Deferred.await(gate)
          return n
        })
        yield* cache.getOrLoad("k", 60_000, load)
        const forced = yield* Effect.forEach([1, 2], () => cache.getOrLoad("k", 60_000, load, { force: true }), {
          concurrency: "unbounded",
        }).pipe(Effect.forkChild)
        yield* waitUntil(() => cache.stats().coalesced === 1)
        yield* Deferred.succeed(gate, undefined)
        const both = yield* Fiber.join(forced)
        const after = yield* cache.getOrLoad("k", 60_000, load)
        return { both, after, loads: yield* Ref.get(loads) }
      }),
    )
    assert.equal(result.loads, 2)
    assert.deepEqual(
      result.both.map((l) => [l.hit, l.entry.value]),
      [
        [false, 2],
        [false, 2],
      ],
    )
    assert.equal(result.after.hit, true)
    assert.equal(result.after.entry.value, 2)
  })

  it("a forced read does not join a non-forced load already in flight", async () => {
    const loads = await run(
      Effect.gen(function* () {
        const cache = yield* Cache
        const loads = yield* Ref.make(0)
        const gate = yield* Deferred.make<void>()
        const load = Effect.andThen(Ref.updateAndGet(loads, (x) => x + 1), (n) => Effect.as(Deferred.await(gate), n))
        const plain = yield* Effect.forkChild(cache.getOrLoad("k", 60_000, load))
        yield* waitUntil(() => cache.stats().loads === 1)
        const forced = yield* Effect.forkChild(cache.getOrLoad("k", 60_000, load, { force: true }))
        yield* waitUntil(() => cache.stats().loads === 2)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(plain)
        const f = yield* Fiber.join(forced)
        assert.equal(f.entry.value, 2)
        // The newer (forced) result wins whatever order the loads finish in.
        assert.equal(cache.peek<number>("k")?.value, 2)
        return yield* Ref.get(loads)
      }),
    )
    assert.equal(loads, 2)
  })

  it("waiters do not hang when the loading fiber is interrupted: one of them loads instead", async () => {
    const result = await run(
      Effect.gen(function* () {
        const cache = yield* Cache
        const loader = yield* Effect.forkChild(cache.getOrLoad("k", 60_000, Effect.never))
        yield* waitUntil(() => cache.stats().loads === 1)
        const waiter = yield* Effect.forkChild(cache.getOrLoad("k", 60_000, Effect.succeed("from waiter")))
        yield* waitUntil(() => cache.stats().coalesced === 1)
        yield* Fiber.interrupt(loader)
        const got = yield* Fiber.join(waiter)
        return { got, stats: cache.stats() }
      }),
    )
    assert.equal(result.got.entry.value, "from waiter")
    assert.equal(result.stats.loads, 2)
    assert.equal(result.stats.entries, 1)
  })

  it("invalidates every key under a prefix and keeps the others", async () => {
    const result = await run(
      Effect.gen(function* () {
        const cache = yield* Cache
        const keys = [
          cacheKey("web1", "system_metrics"),
          cacheKey("web1", "docker", { all: true }),
          cacheKey("web10", "system_metrics"),
          cacheKey("db1", "system_metrics"),
        ]
        for (const k of keys) yield* cache.getOrLoad(k, 60_000, Effect.succeed(k))
        const removed = cache.invalidate("web1\u0000")
        return { removed, left: keys.map((k) => cache.peek(k) !== undefined), stats: cache.stats() }
      }),
    )
    assert.equal(result.removed, 2)
    assert.deepEqual(result.left, [false, false, true, true])
    assert.equal(result.stats.entries, 2)
  })

  it("builds the same key whatever the parameter order, ignoring undefined values", () => {
    assert.equal(cacheKey("d", "t", { a: 1, b: "x y" }), cacheKey("d", "t", { b: "x y", a: 1 }))
    assert.equal(cacheKey("d", "t", { a: 1, z: undefined }), cacheKey("d", "t", { a: 1 }))
    assert.notEqual(cacheKey("d", "t", { a: 1 }), cacheKey("d", "t", { a: 2 }))
    assert.notEqual(cacheKey("d", "t1"), cacheKey("d", "t"))
  })
})
