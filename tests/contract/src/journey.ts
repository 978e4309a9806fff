// A player's journey through the real server, as a frontend would make it: typed against the generated `paths`
// (openapi-fetch) and the official socket.io-client. Prints every step and its result; exits 1 when any failed.
// Environment: GOODPLAY_URL, GOODPLAY_ADMIN_EMAIL, GOODPLAY_ADMIN_PASSWORD.
import { randomUUID } from "node:crypto";
import createClient, { type Middleware } from "openapi-fetch";
import { io, type Socket } from "socket.io-client";
import type { paths } from "../generated/api.js";

const baseUrl = env("GOODPLAY_URL");
const adminLogin = { email: env("GOODPLAY_ADMIN_EMAIL"), password: env("GOODPLAY_ADMIN_PASSWORD") };
const STORY_MILESTONE_EUROS = 10;
const SERVER_DISCONNECT_BUDGET_MS = 1000;
const WAIT_MS = 10_000;

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

// ---- results ----------------------------------------------------------------------------------------------

interface Step {
  name: string;
  run: () => Promise<string>;
  alone?: boolean;
}

/** The steps' results. `expect` records a contract expectation that failed: the step is reported failed and the
 * journey goes on. */
class Journey {
  private failures: string[] = [];
  readonly results: { name: string; ok: boolean }[] = [];

  expect(condition: boolean, message: string): void {
    if (!condition) this.failures.push(message);
  }

  /** Runs the steps in order; a step that throws stops the journey (the later ones depend on it), unless it is
   * marked `alone` (nothing later needs it). */
  async run(steps: Step[]): Promise<boolean> {
    for (const [index, { name, run: body, alone }] of steps.entries()) {
      this.failures = [];
      let detail: string;
      let stop = false;
      try {
        detail = await body();
      } catch (error) {
        detail = error instanceof Error ? error.message : String(error);
        this.failures.push(detail);
        detail = "";
        stop = true;
      }
      const ok = this.failures.length === 0;
      this.results.push({ name, ok });
      console.log(`${ok ? "PASS" : "FAIL"} ${name}${ok && detail ? ` -> ${detail}` : ""}`);
      if (!ok) for (const failure of this.failures) console.log(`       ${failure}`);
      if (stop && !alone) {
        for (const later of steps.slice(index + 1)) console.log(`SKIP ${later.name} (an earlier step failed)`);
        break;
      }
    }
    const passed = this.results.filter((r) => r.ok).length;
    const failed = this.results.filter((r) => !r.ok);
    console.log(`Journey result: ${passed} of ${steps.length} steps passed`);
    if (failed.length) console.log(`Failed steps: ${failed.map((r) => r.name).join("; ")}`);
    return passed === steps.length;
  }
}

const journey = new Journey();
const expect = journey.expect.bind(journey);

// ---- HTTP -------------------------------------------------------------------------------------------------

interface Answer<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** The body of an answer with the expected status, or an error naming what came instead. */
function body<D>(answer: Answer<D>, status: number, what: string): D {
  const got = answer.response.status;
  if (got !== status || answer.data === undefined) {
    const text = JSON.stringify(answer.error ?? answer.data ?? null).slice(0, 300);
    throw new Error(`${what}: HTTP ${got}, expected ${status}: ${text}`);
  }
  return answer.data;
}

/** Ids are strings on the wire; checked at run time, since a document that leaves them untyped says nothing. */
function id(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") throw new Error(`${what} is not a non-empty string: ${value}`);
  return value;
}

/** A field the contract adds that an older document may not declare yet: read without its static type. */
function field(value: object, name: string): unknown {
  return (value as Record<string, unknown>)[name];
}

function isEuros(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && Math.abs(value * 100 - Math.round(value * 100)) < 1e-6;
}

/** A user of the API: its tokens, and a client that sends the current access token. */
class Account {
  access = "";
  refresh = "";
  readonly api = createClient<paths>({ baseUrl });

  constructor() {
    const bearer: Middleware = {
      onRequest: ({ request }) => {
        if (this.access && !request.headers.has("Authorization")) {
          request.headers.set("Authorization", `Bearer ${this.access}`);
        }
        return request;
      },
    };
    this.api.use(bearer);
  }

  keep(tokens: { access_token: string; refresh_token: string }): void {
    this.access = tokens.access_token;
    this.refresh = tokens.refresh_token;
  }
}

function expectsIn(tokens: object, what: string): string {
  const expiresIn = field(tokens, "expires_in");
  expect(
    typeof expiresIn === "number" && Number.isInteger(expiresIn) && expiresIn > 0 && expiresIn <= 3600,
    `${what} carries no expires_in (seconds of the access token, at most 3600): got ${JSON.stringify(expiresIn)}`,
  );
  return `expires_in=${JSON.stringify(expiresIn)}`;
}

// ---- Socket.IO --------------------------------------------------------------------------------------------

interface StoryUnlocked {
  story: { id: string; title: string };
}
interface WalletUpdated {
  wallet: { balance: number };
}
interface ServerEvents {
  story_unlocked: (data: StoryUnlocked) => void;
  wallet_updated: (data: WalletUpdated) => void;
}
type ImpactSocket = Socket<ServerEvents>;

/** Resolves with the first value `subscribe` produces, or rejects after `ms`. */
function within<T>(ms: number, what: string, subscribe: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    subscribe((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Every event of a name, kept from the moment of connection so none is missed. */
class Inbox<T> {
  private seen: T[] = [];
  private waiters: ((value: T) => void)[] = [];

  push = (value: T): void => {
    this.seen.push(value);
    for (const waiter of this.waiters.splice(0)) waiter(value);
  };

  all(): T[] {
    return [...this.seen];
  }

  next(what: string, matches: (value: T) => boolean, ms = WAIT_MS): Promise<T> {
    return within(ms, what, (resolve) => {
      const found = this.seen.find(matches);
      if (found !== undefined) return resolve(found);
      const wait = (value: T): void => {
        if (matches(value)) resolve(value);
        else this.waiters.push(wait);
      };
      this.waiters.push(wait);
    });
  }
}

/** The reason a refused connection carries: the server's connect_error data `{message}`, which socket.io-client
 * hands over as the error's `message` (and any further data as its `data`). */
function refusal(auth: Record<string, string>): Promise<string> {
  const socket: ImpactSocket = io(`${baseUrl}/impact`, { auth, reconnection: false, forceNew: true });
  return within(WAIT_MS, "connect_error", (resolve) => {
    socket.on("connect", () => {
      socket.disconnect();
      resolve("(connected)");
    });
    socket.on("connect_error", (error) => {
      socket.disconnect();
      const data = field(error, "data");
      resolve(data === undefined ? error.message : `${error.message} ${JSON.stringify(data)}`);
    });
  });
}

function connected(socket: ImpactSocket): Promise<void> {
  return within(WAIT_MS, "connect to /impact", (resolve) => {
    if (socket.connected) return resolve();
    socket.once("connect", () => resolve());
    socket.once("connect_error", (error) => {
      console.log(`       connect_error: ${error.message} ${JSON.stringify(field(error, "data"))}`);
    });
    socket.connect();
  });
}

// ---- the journey ------------------------------------------------------------------------------------------

async function main(): Promise<boolean> {
  const player = new Account();
  const admin = new Account();
  const email = `ts-${randomUUID().slice(0, 8)}@example.com`;
  const stories = new Inbox<StoryUnlocked>();
  const wallets = new Inbox<WalletUpdated>();
  const disconnects = new Inbox<{ reason: string; at: number }>();
  // `auth` as a function: every (re)connection presents the access token current at that moment
  const socket: ImpactSocket = io(`${baseUrl}/impact`, {
    auth: (send) => send({ token: player.access }),
    autoConnect: false,
    reconnection: false,
  });
  socket.on("story_unlocked", stories.push);
  socket.on("wallet_updated", wallets.push);
  socket.on("disconnect", (reason) => disconnects.push({ reason, at: Date.now() }));

  let userId = "";
  let gameId = "";
  let sessionId = "";
  let version = 0;
  let credits = 0;
  let balance = 0;
  let donationId = "";
  let loggedOutAt = 0;

  const steps: Step[] = [
    {
      name: "register",
      run: async () => {
        const data = body(
          await player.api.POST("/api/auth/register", {
            body: { email, password: "correct-horse-1", first_name: "Tess", last_name: "Script" },
          }),
          201,
          "POST /api/auth/register",
        ).data;
        player.keep(data);
        userId = id(data.user.id, "user.id");
        expect(data.user.email === email && data.user.role === "user", `user ${JSON.stringify(data.user)}`);
        return `user ${userId} (${data.user.role})`;
      },
    },
    {
      name: "list games",
      run: async () => {
        const page = body(
          await player.api.GET("/api/games", { params: { query: { page: 1, per_page: 20 } } }),
          200,
          "GET /api/games",
        ).data;
        expect(page.total >= 3 && page.items.length >= 3, `at least 3 games, got ${page.total}`);
        expect(page.page === 1 && page.per_page === 20, `page ${page.page}, per_page ${page.per_page}`);
        expect(page.items.every((g) => g.is_active), "every listed game is active");
        expect(
          typeof field(page, "total_pages") === "number",
          `pages carry total_pages: got ${JSON.stringify(field(page, "total_pages"))}`,
        );
        const game = page.items[0];
        if (game === undefined) throw new Error("no game to play");
        gameId = id(game.id, "game.id");
        return `${page.total} games; playing "${game.name}"`;
      },
    },
    {
      name: "start a session",
      run: async () => {
        const session = body(
          await player.api.POST("/api/games/sessions", { body: { game_id: gameId } }),
          201,
          "POST /api/games/sessions",
        ).data;
        sessionId = id(session.id, "session.id");
        version = session.version;
        expect(session.status === "active", `status ${session.status}`);
        expect(session.game_id === gameId, `game_id ${session.game_id}`);
        return `session ${sessionId}, status ${session.status}, version ${version}`;
      },
    },
    {
      name: "sync progress (PUT with version)",
      run: async () => {
        const path = { params: { path: { session_id: sessionId } } };
        const synced = body(
          await player.api.PUT("/api/games/sessions/{session_id}", {
            ...path,
            body: { score: 0, state: ["level", 2], version },
          }),
          200,
          "PUT /api/games/sessions/{id}",
        ).data;
        expect(synced.score === 0, `score ${synced.score}`);
        expect(synced.version > version, `version ${version} -> ${synced.version}`);
        const stale = await player.api.PUT("/api/games/sessions/{session_id}", {
          ...path,
          body: { score: 0, version },
        });
        expect(
          stale.response.status === 409 && stale.error?.message === "SESSION_VERSION_CONFLICT",
          `a stale version: HTTP ${stale.response.status} ${stale.error?.message}`,
        );
        const previous = version;
        version = synced.version;
        const refused = `${stale.response.status} ${stale.error?.message}`;
        return `score ${synced.score}, version ${previous} -> ${version}; the stale version again -> ${refused}`;
      },
    },
    {
      name: "pause",
      run: async () => {
        const session = body(
          await player.api.POST("/api/games/sessions/{session_id}/pause", {
            params: { path: { session_id: sessionId } },
          }),
          200,
          "POST .../pause",
        ).data;
        expect(session.status === "paused", `status ${session.status}`);
        return `status ${session.status}`;
      },
    },
    {
      name: "resume",
      run: async () => {
        const session = body(
          await player.api.POST("/api/games/sessions/{session_id}/resume", {
            params: { path: { session_id: sessionId } },
          }),
          200,
          "POST .../resume",
        ).data;
        expect(session.status === "active", `status ${session.status}`);
        return `status ${session.status}`;
      },
    },
    {
      name: "end the session",
      run: async () => {
        const ended = body(
          await player.api.POST("/api/games/sessions/{session_id}/end", {
            params: { path: { session_id: sessionId } },
            body: { final_score: 0 },
          }),
          200,
          "POST .../end",
        ).data;
        credits = ended.credits_earned;
        expect(ended.session.status === "completed", `status ${ended.session.status}`);
        expect(isEuros(credits) && credits >= 0, `credits_earned ${credits} in euros`);
        const played = ended.session.play_seconds;
        return `status ${ended.session.status}, credits_earned EUR ${credits}, play_seconds ${played}`;
      },
    },
    {
      name: "wallet",
      run: async () => {
        const wallet = body(await player.api.GET("/api/wallet"), 200, "GET /api/wallet").data;
        balance = wallet.balance;
        expect(wallet.currency === "EUR", `currency ${wallet.currency}`);
        expect(wallet.balance === credits && wallet.total_earned === credits, `balance ${wallet.balance}`);
        expect(wallet.total_donated === 0, `total_donated ${wallet.total_donated}`);
        return `balance EUR ${wallet.balance}, earned ${wallet.total_earned}, donated ${wallet.total_donated}`;
      },
    },
    {
      name: "admin logs in and funds the player",
      run: async () => {
        const login = body(await admin.api.POST("/api/auth/login", { body: adminLogin }), 200, "admin login").data;
        admin.keep(login);
        expect(login.user.role === "admin", `role ${login.user.role}`);
        const tokens = expectsIn(login, "the login answer");
        const entry = body(
          await admin.api.POST("/api/admin/wallets/{user_id}/adjustments", {
            params: { path: { user_id: userId } },
            body: { amount: STORY_MILESTONE_EUROS, direction: "credit", reason: "contract journey top-up" },
          }),
          201,
          "POST /api/admin/wallets/{id}/adjustments",
        ).data;
        const wallet = body(await player.api.GET("/api/wallet"), 200, "GET /api/wallet").data;
        expect(
          wallet.balance === round2(balance + STORY_MILESTONE_EUROS),
          `balance ${wallet.balance} after a EUR ${STORY_MILESTONE_EUROS} credit on ${balance}`,
        );
        balance = wallet.balance;
        return `login ${tokens}; adjustment ${JSON.stringify(entry.amount)} -> balance EUR ${wallet.balance}`;
      },
    },
    {
      name: "socket refuses a missing or bad token with its reason",
      alone: true,
      run: async () => {
        const missing = await refusal({});
        const invalid = await refusal({ token: "not-a-token" });
        expect(missing.startsWith("TOKEN_MISSING"), `no token: ${missing}`);
        expect(invalid.startsWith("TOKEN_INVALID"), `a bad token: ${invalid}`);
        return `no token -> ${missing}; a bad token -> ${invalid}`;
      },
    },
    {
      name: "connect socket.io-client to /impact with auth {token}",
      run: async () => {
        await connected(socket);
        return `connected, socket id ${socket.id}`;
      },
    },
    {
      name: `donate EUR ${STORY_MILESTONE_EUROS} with an Idempotency-Key to a verified ONLUS`,
      run: async () => {
        const onlus = body(
          await player.api.GET("/api/onlus", { params: { query: { per_page: 100 } } }),
          200,
          "GET /api/onlus",
        ).data.items.find((o) => o.is_verified === true);
        if (onlus === undefined) throw new Error("no verified ONLUS in the demo data");
        const onlusId = id(onlus.id, "onlus.id");
        const key = `ts-journey-${randomUUID()}`;
        const donate = () =>
          player.api.POST("/api/donations/process", {
            params: { header: { "Idempotency-Key": key } },
            body: { onlus_id: onlusId, amount: STORY_MILESTONE_EUROS },
          });
        const donation = body(await donate(), 201, "POST /api/donations/process").data;
        donationId = id(donation.id, "donation.id");
        expect(donation.status === "completed", `status ${donation.status}`);
        expect(donation.amount === STORY_MILESTONE_EUROS, `amount ${donation.amount}`);
        const replay = body(await donate(), 201, "the same Idempotency-Key again").data;
        expect(replay.id === donation.id, `the replay is the first donation: ${String(replay.id)}`);
        const wallet = body(await player.api.GET("/api/wallet"), 200, "GET /api/wallet").data;
        expect(
          wallet.balance === round2(balance - STORY_MILESTONE_EUROS),
          `debited once: balance ${wallet.balance}, was ${balance}`,
        );
        balance = wallet.balance;
        const what = `${donationId} to "${onlus.name}" ${donation.status}, receipt ${donation.receipt_number}`;
        return `${what}; the key replayed -> the same id; balance EUR ${wallet.balance}`;
      },
    },
    {
      name: "story_unlocked received on the socket",
      alone: true,
      run: async () => {
        const { story } = await stories.next("story_unlocked", () => true);
        await new Promise((resolve) => setTimeout(resolve, 200)); // a donation may unlock several at once
        const storyId = id(story.id, "story.id");
        expect(typeof story.title === "string" && story.title !== "", `title ${JSON.stringify(story.title)}`);
        const stored = body(
          await player.api.GET("/api/impact/stories/{story_id}", { params: { path: { story_id: storyId } } }),
          200,
          "GET /api/impact/stories/{id}",
        ).data;
        expect(stored.is_unlocked && stored.title === story.title, `stored story ${JSON.stringify(stored.title)}`);
        const received = stories.all().map((e) => e.story.id);
        return `story ${storyId} "${story.title}" (all received: ${received.join(", ")})`;
      },
    },
    {
      name: "wallet_updated received for the donation's debit",
      alone: true,
      run: async () => {
        const { wallet } = await wallets.next(
          "wallet_updated with the balance after the donation",
          (event) => event.wallet.balance === balance,
          3000,
        );
        return `wallet_updated balance EUR ${wallet.balance}`;
      },
    },
    {
      name: "receipt PDF",
      alone: true,
      run: async () => {
        const answer = await player.api.GET("/api/donations/{donation_id}/receipt", {
          params: { path: { donation_id: donationId } },
          parseAs: "arrayBuffer",
        });
        const pdf = Buffer.from(body(answer, 200, "GET /api/donations/{id}/receipt"));
        const type = answer.response.headers.get("Content-Type") ?? "";
        expect(type.startsWith("application/pdf"), `Content-Type ${type}`);
        const magic = pdf.subarray(0, 5).toString();
        expect(magic === "%PDF-", `starts with ${JSON.stringify(magic)}`);
        return `${type}, ${pdf.length} bytes`;
      },
    },
    {
      name: "refresh tokens (rotation), then reconnect the socket with the fresh token",
      run: async () => {
        const used = player.refresh;
        const tokens = body(
          await player.api.POST("/api/auth/refresh", { headers: { Authorization: `Bearer ${player.refresh}` } }),
          200,
          "POST /api/auth/refresh",
        ).data;
        player.keep(tokens);
        expect(tokens.refresh_token !== used, "a new refresh token");
        const expiresIn = expectsIn(tokens, "the refresh answer");
        body(await player.api.GET("/api/user/profile"), 200, "GET /api/user/profile with the new access token");
        socket.disconnect();
        await connected(socket);
        return `new pair, ${expiresIn}; profile 200 with the new access token; socket reconnected (${socket.id})`;
      },
    },
    {
      name: "logout",
      run: async () => {
        loggedOutAt = Date.now();
        body(
          await player.api.POST("/api/auth/logout", { body: { refresh_token: player.refresh } }),
          200,
          "POST /api/auth/logout",
        );
        const after = await player.api.GET("/api/user/profile");
        expect(after.response.status === 401, `the access token after logout: HTTP ${after.response.status}`);
        const refreshed = await player.api.POST("/api/auth/refresh", {
          headers: { Authorization: `Bearer ${player.refresh}` },
        });
        expect(refreshed.response.status === 401, `the refresh token after logout: HTTP ${refreshed.response.status}`);
        return `200; access token -> ${after.response.status}, refresh token -> ${refreshed.response.status}`;
      },
    },
    {
      name: "the server disconnects the socket (io server disconnect)",
      alone: true,
      run: async () => {
        const event = await disconnects.next(
          "disconnect by the server after logout",
          (d) => d.at >= loggedOutAt,
          SERVER_DISCONNECT_BUDGET_MS * 3,
        );
        const latency = event.at - loggedOutAt;
        expect(event.reason === "io server disconnect", `reason ${event.reason}`);
        expect(latency <= SERVER_DISCONNECT_BUDGET_MS, `disconnected ${latency} ms after logout (budget 1 s)`);
        return `reason "${event.reason}", ${latency} ms after logout`;
      },
    },
    {
      name: "admin logs out with only the refresh token",
      alone: true,
      run: async () => {
        const answer = await admin.api.POST("/api/auth/logout", {
          headers: { Authorization: `Bearer ${admin.refresh}` },
        });
        expect(answer.response.status === 200, `HTTP ${answer.response.status} ${JSON.stringify(answer.error)}`);
        const refreshed = await admin.api.POST("/api/auth/refresh", {
          headers: { Authorization: `Bearer ${admin.refresh}` },
        });
        expect(refreshed.response.status === 401, `the refresh token after logout: HTTP ${refreshed.response.status}`);
        return `logout ${answer.response.status}; refresh token -> ${refreshed.response.status}`;
      },
    },
  ];

  try {
    return await journey.run(steps);
  } finally {
    socket.disconnect();
  }
}

function round2(euros: number): number {
  return Math.round(euros * 100) / 100;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
