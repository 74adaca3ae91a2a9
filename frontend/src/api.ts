// The admin API client: every call carries a Shopify session token.
import { isEmbedded } from "./bridge";
import { pickLocale, translator } from "./i18n";
import { messageText } from "./messages";
import type { ApiErrorBody } from "./types";

// ApiError is a refused or failed call. status is the HTTP status (0: no
// answer); code is the server's error code (`unauthorized`, `invalid`…);
// detail is the server's own sentence. message is what a page may show as
// it is: in the merchant's language for a session problem or no answer,
// otherwise the server's sentence.
export class ApiError extends Error {
  constructor(message: string, public status: number, public code = "", public detail = "") {
    super(message);
  }
}

export { isEmbedded };

// hasSession says whether a session token can be had: from App Bridge
// inside the admin, or from the id_token Shopify puts in the app's URL.
export function hasSession(): boolean {
  return isEmbedded() || !!new URLSearchParams(window.location.search).get("id_token");
}

// words are the client's own sentences, in the admin's language (the same
// choice as the pages: Shopify's locale parameter, else the browser's).
function words() {
  return translator(pickLocale(window.location.search, navigator.language));
}

function sessionError(detail: string): ApiError {
  const t = words();
  return new ApiError(`${t("shell.session.title")}. ${t("shell.session.body")}`, 401, "unauthorized", detail);
}

// sessionToken asks App Bridge for a fresh token inside the admin; outside
// it (a local demo, the browser test) it uses the id_token Shopify puts in
// the app's URL.
export async function sessionToken(): Promise<string> {
  if (isEmbedded() && window.shopify?.idToken) {
    try {
      return await window.shopify.idToken();
    } catch {
      // App Bridge not ready: fall back to the URL's token
    }
  }
  const fromURL = new URLSearchParams(window.location.search).get("id_token");
  if (fromURL) return fromURL;
  throw sessionError("");
}

// refused turns an error answer into an ApiError.
// A refusal the backend says as a code is shown in the merchant's language;
// its English sentence stays the detail.
function refused(status: number, body: ApiErrorBody & { error?: string }): ApiError {
  const detail = body.message || `HTTP ${status}`;
  if (status === 401 || body.error === "unauthorized") return sessionError(detail);
  const said = messageText(words(), body.message_code, body.params);
  return new ApiError(said || detail, status, body.error ?? "", said || detail);
}

function unreachable(): ApiError {
  return new ApiError(words()("shell.error.network"), 0, "network");
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const token = await sessionToken();
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  if (init.body && typeof init.body === "string") headers.set("Content-Type", "application/json");
  let res: Response;
  try {
    res = await fetch(`/api/admin${path}`, { ...init, headers });
  } catch {
    throw unreachable();
  }
  if (res.status === 204) return undefined as T;
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw refused(res.status, body as ApiErrorBody);
  return body as T;
}

// upload sends a file with progress (fetch has no upload progress).
export async function upload<T>(path: string, file: File, onProgress: (percent: number) => void): Promise<T> {
  const token = await sessionToken();
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/admin${path}`);
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((100 * e.loaded) / e.total));
    xhr.onload = () => {
      let body: any = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(refused(xhr.status, body as ApiErrorBody));
    };
    xhr.onerror = () => reject(unreachable());
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}
