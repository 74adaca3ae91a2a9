// The admin API client: every call carries a Shopify session token.
import type { ApiErrorBody } from "./types";

export class ApiError extends Error {
  constructor(message: string, public status: number) {
    super(message);
  }
}

declare global {
  interface Window {
    shopify?: { idToken?: () => Promise<string> };
  }
}

// sessionToken asks App Bridge for a fresh token; outside the Shopify admin
// (a local demo, the browser test) it uses the id_token Shopify puts in the
// app's URL.
export async function sessionToken(): Promise<string> {
  if (window.shopify?.idToken) {
    try {
      return await window.shopify.idToken();
    } catch {
      // App Bridge not ready: fall back to the URL's token
    }
  }
  const fromURL = new URLSearchParams(window.location.search).get("id_token");
  if (fromURL) return fromURL;
  throw new ApiError("Open Waybill from your Shopify admin.", 401);
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const token = await sessionToken();
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  if (init.body && typeof init.body === "string") headers.set("Content-Type", "application/json");
  const res = await fetch(`/api/admin${path}`, { ...init, headers });
  if (res.status === 204) return undefined as T;
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError((body as ApiErrorBody).message || `HTTP ${res.status}`, res.status);
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
      else reject(new ApiError((body as ApiErrorBody).message || `HTTP ${xhr.status}`, xhr.status));
    };
    xhr.onerror = () => reject(new ApiError("The upload did not reach Waybill.", 0));
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}
