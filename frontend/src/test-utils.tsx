// Test helpers: render a page as the admin does (Polaris, the language, the router).
import { AppProvider } from "@shopify/polaris";
import enPolaris from "@shopify/polaris/locales/en.json";
import esPolaris from "@shopify/polaris/locales/es.json";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { I18nProvider, type Locale } from "./i18n";
import { Router } from "./router";

export function renderPage(node: ReactNode, locale: Locale = "en", url = "/?id_token=tok") {
  window.history.replaceState(null, "", url);
  document.documentElement.lang = locale; // as the shell does
  return render(
    <AppProvider i18n={locale === "es" ? esPolaris : enPolaris}>
      <I18nProvider locale={locale}>
        <Router>{node}</Router>
      </I18nProvider>
    </AppProvider>,
  );
}

// Call is one request the page made through api().
export interface Call {
  path: string;
  method: string;
  body?: unknown;
}

// answering makes an api() double: routes maps "METHOD /path" to an answer
// (a value, or a function of the body; an Error is thrown as the API's
// refusal) and every call is recorded.
export function answering(routes: Record<string, unknown>, calls: Call[]) {
  return async (path: string, init: RequestInit = {}) => {
    const method = (init.method ?? "GET").toUpperCase();
    const body = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    calls.push({ path, method, body });
    const key = `${method} ${path}`;
    if (!(key in routes)) throw new Error(`no answer for ${key}`);
    const r = routes[key];
    const out = typeof r === "function" ? r(body) : r;
    if (out instanceof Error) throw out;
    return out === undefined ? undefined : JSON.parse(JSON.stringify(out));
  };
}
