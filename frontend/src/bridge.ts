// App Bridge: Shopify's script (https://cdn.shopify.com/shopifycloud/app-bridge.js,
// loaded by index.html) and whether the admin runs inside the Shopify admin.
// Kept apart from api.ts so tests that replace the API client keep it.

// AppBridge is the part of App Bridge's `shopify` global Waybill uses.
export interface AppBridge {
  idToken?: () => Promise<string>;
  toast?: { show: (message: string, opts?: { isError?: boolean; duration?: number }) => string | void };
  config?: { shop?: string; host?: string; locale?: string };
}

declare global {
  interface Window {
    shopify?: AppBridge;
  }
}

// isEmbedded says whether the admin runs inside the Shopify admin: App
// Bridge loaded and the page framed by the admin (or, in Shopify's mobile
// app, opened with embedded=1). The script alone proves nothing: it loads on
// any page that includes it, inside Shopify or not.
export function isEmbedded(): boolean {
  if (!window.shopify) return false;
  let framed = false;
  try {
    framed = window.top !== window.self;
  } catch {
    framed = true; // a cross-origin parent
  }
  return framed || new URLSearchParams(window.location.search).get("embedded") === "1";
}
