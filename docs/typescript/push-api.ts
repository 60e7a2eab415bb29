// The push API from the app, with fetch and the types openapi-typescript generates from
// docs/openapi.json (`npm run types` writes api.d.ts): a field the backend renames, or an
// answer it changes, is a type error here before it is a bug on a phone.
import type { components } from "./api";

type Schemas = components["schemas"];
export type Notification = Schemas["Notification"];

export class PushApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterSeconds: number | null, // set on 429
  ) {
    super(message);
  }
}

export class PushApi {
  // baseUrl: where the backend mounts push, e.g. "https://api.example.com/api/users".
  constructor(
    private readonly baseUrl: string,
    private readonly accessToken: string,
  ) {}

  registerDevice(token: string, deviceType: "ios" | "android"): Promise<Schemas["TokenSaved"]> {
    const body: Schemas["RegisterToken"] = { token, device_type: deviceType };
    return this.call("POST", "/push-tokens/", body);
  }

  removeDevice(token: string): Promise<Schemas["TokenRemoved"]> {
    const body: Schemas["RemoveToken"] = { token };
    return this.call("POST", "/push-tokens/remove/", body);
  }

  inboxPage(cursor?: string, limit = 20): Promise<Schemas["InboxPage"]> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return this.call("GET", `/notifications/?${query}`);
  }

  markRead(ids: number[]): Promise<Schemas["Marked"]> {
    const body: Schemas["MarkRead"] = { ids };
    return this.call("POST", "/notifications/read/", body);
  }

  private async call<T>(method: "GET" | "POST", path: string, body?: object): Promise<T> {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: {
        Authorization: `Bearer ${this.accessToken}`,
        ...(body && { "Content-Type": "application/json" }),
      },
      body: body && JSON.stringify(body),
    });
    const answer = await response.json(); // every answer is JSON, errors included
    if (!response.ok) {
      const retryAfter = response.headers.get("Retry-After");
      const error: Schemas["Error"] = answer;
      throw new PushApiError(response.status, error.message, retryAfter ? Number(retryAfter) : null);
    }
    return answer as T;
  }
}
