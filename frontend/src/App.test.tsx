import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App, Outside, sections, shopDomain } from "./App";
import { I18nProvider } from "./i18n";
import { AppProvider } from "@shopify/polaris";
import esPolaris from "@shopify/polaris/locales/es.json";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const stats = {
  last_7_days: { awaiting_tracking: 2, pending: 0, synced: 5, failed: 1, needs_attention: 0, emails_sent: 3, unsubscribes: 0, stalled: 0 },
  last_30_days: { awaiting_tracking: 2, pending: 0, synced: 9, failed: 1, needs_attention: 0, emails_sent: 3, unsubscribes: 0, stalled: 0 },
  activity: [], shop: { name: "Acme", needs_reauth: false },
};

// jsdom has no ResizeObserver; Polaris' Tabs measure themselves with it.
globalThis.ResizeObserver ||= class {
  observe() {}
  unobserve() {}
  disconnect() {}
} as unknown as typeof ResizeObserver;

beforeEach(() => {
  vi.stubGlobal("fetch", vi.fn(async (url: string) => String(url).startsWith("/api/admin/stats") ? json(200, stats)
    : String(url).startsWith("/api/admin/data-requests") ? json(200, { data_requests: [], total: 0, page: 1, per_page: 50 }) : json(200, {})));
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  delete window.shopify;
});

describe("inside the Shopify admin", () => {
  it("uses App Bridge's navigation menu with every page and no tab bar", async () => {
    const show = vi.fn();
    window.shopify = { idToken: async () => "bridge-token", toast: { show } };
    window.history.replaceState(null, "", "/?embedded=1&host=abc&shop=acme.myshopify.com&locale=es");
    const { container } = render(<App />);
    const menu = container.querySelector("ui-nav-menu");
    expect(menu).not.toBeNull();
    const links = [...menu!.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual(sections.map((s) => s.path));
    expect(links[0].getAttribute("rel")).toBe("home");
    expect(links.map((a) => a.textContent)).toEqual(["Resumen", "Pedidos", "Envíos", "Importar", "Fuentes de estado", "Notificaciones",
      "Canales", "Correos enviados", "Mensajes", "Análisis", "Proveedores", "Solicitudes de datos"]);
    expect(screen.queryByRole("tab")).toBeNull();
    // The dashboard loads with App Bridge's token, not a URL's.
    expect(await screen.findByText("Esperando seguimiento")).toBeTruthy();
    const [, init] = (fetch as unknown as ReturnType<typeof vi.fn>).mock.calls[0];
    expect(new Headers(init.headers).get("Authorization")).toBe("Bearer bridge-token");
    // A click in the admin's menu reaches the anchor: the app routes, no reload.
    fireEvent.click(links[links.length - 1]);
    expect(window.location.pathname).toBe("/data-requests");
    expect(await screen.findByText("Solicitudes de datos de clientes")).toBeTruthy();
  });
});

describe("outside the Shopify admin", () => {
  it("keeps its own tab bar when Shopify's id_token is in the URL", async () => {
    window.history.replaceState(null, "", "/?shop=acme.myshopify.com&id_token=tok&locale=en");
    const { container } = render(<App />);
    expect(container.querySelector("ui-nav-menu")).toBeNull();
    // (Polaris renders each tab twice: once to measure it.)
    const names = new Set(screen.getAllByRole("tab").map((t) => t.textContent));
    expect([...names]).toEqual(["Dashboard", "Orders", "Shipments", "Import", "Status sources", "Notifications", "Channels", "Email log", "Messages", "Insights",
      "Suppliers", "Data requests"]);
    expect(await screen.findByText("Awaiting tracking")).toBeTruthy();
  });

  it("without a session shows where Waybill lives and the install form, in the browser's language", () => {
    vi.spyOn(navigator, "language", "get").mockReturnValue("es-MX");
    window.history.replaceState(null, "", "/");
    render(<App />);
    expect(screen.getByRole("heading", { name: "Waybill funciona dentro de tu panel de Shopify" })).toBeTruthy();
    expect(screen.getByText("Ábrelo desde Aplicaciones en tu panel de Shopify.")).toBeTruthy();
    expect(screen.getByLabelText("El dominio de tu tienda")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Instalar Waybill" })).toBeTruthy();
    expect(screen.queryByText("Algo salió mal")).toBeNull();
    expect(screen.queryByText(/Something went wrong/)).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
  });

  it("sends a valid shop to /auth and refuses a bad domain, naming it", () => {
    const go = vi.fn();
    window.history.replaceState(null, "", "/");
    render(
      <AppProvider i18n={esPolaris}>
        <I18nProvider locale="es">
          <Outside go={go} />
        </I18nProvider>
      </AppProvider>,
    );
    const field = screen.getByLabelText("El dominio de tu tienda");
    fireEvent.change(field, { target: { value: "mi-tienda.myshopify.com.evil.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Instalar Waybill" }));
    expect(go).not.toHaveBeenCalled();
    expect(screen.getByText("«mi-tienda.myshopify.com.evil.com» no es un dominio de tienda de Shopify: escríbelo como mi-tienda.myshopify.com")).toBeTruthy();
    fireEvent.change(field, { target: { value: "" } });
    fireEvent.click(screen.getByRole("button", { name: "Instalar Waybill" }));
    expect(screen.getByText("Escribe el dominio de tu tienda, como mi-tienda.myshopify.com")).toBeTruthy();
    fireEvent.change(field, { target: { value: "  https://Mi-Tienda.myshopify.com/admin " } });
    fireEvent.click(screen.getByRole("button", { name: "Instalar Waybill" }));
    expect(go).toHaveBeenCalledWith("/auth?shop=mi-tienda.myshopify.com");
  });

  it("checks shop domains as the server does", () => {
    expect(shopDomain("acme.myshopify.com")).toBe("acme.myshopify.com");
    expect(shopDomain("acme-2.myshopify.com")).toBe("acme-2.myshopify.com");
    for (const bad of ["-acme.myshopify.com", "acme.shopify.com", "acme", "ac me.myshopify.com", "acme.myshopify.com.evil.com", "a_b.myshopify.com"])
      expect(shopDomain(bad)).toBeNull();
  });
});

describe("API errors", () => {
  it("a session Shopify no longer accepts says what to do, in Spanish, not the server's English", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(401, { error: "unauthorized", message: "the session token is not valid", request_id: "r1" })));
    window.history.replaceState(null, "", "/data-requests?id_token=expired&locale=es");
    render(<App />);
    expect(await screen.findByText("Tu sesión de Shopify ya no es válida")).toBeTruthy();
    expect(screen.getByText("Recarga la página o vuelve a abrir Waybill desde Aplicaciones en tu panel de Shopify.")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Recargar" })).toBeTruthy();
    expect(screen.queryByText(/session token is not valid/)).toBeNull();
  });

  it("other refusals get a Spanish sentence with the server's words only as the detail", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(503, { error: "unavailable", message: "database unavailable" })));
    window.history.replaceState(null, "", "/data-requests?id_token=tok&locale=es");
    render(<App />);
    expect(await screen.findByText("Algo salió mal")).toBeTruthy();
    expect(screen.getByText(/Waybill no pudo completar la petición/)).toBeTruthy();
    expect(screen.getByText("Detalle:")).toBeTruthy();
    expect(screen.getByText("database unavailable")).toBeTruthy();
  });

  it("no answer at all says so", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => { throw new TypeError("Failed to fetch"); }));
    window.history.replaceState(null, "", "/data-requests?id_token=tok&locale=es");
    render(<App />);
    expect(await screen.findByText("Waybill no respondió: revisa tu conexión y vuelve a intentarlo.")).toBeTruthy();
  });
});

describe("toasts", () => {
  it("outside the admin a confirmation shows as a Polaris toast", async () => {
    window.history.replaceState(null, "", "/suppliers?id_token=tok&locale=es");
    const calls: string[] = [];
    vi.stubGlobal("fetch", vi.fn(async (url: string, init: RequestInit = {}) => {
      calls.push(`${init.method ?? "GET"} ${url}`);
      if (init.method === "DELETE") return new Response(null, { status: 204 });
      return json(200, { api_keys: [{ id: "k1", name: "Almacén Sur", prefix: "wbk_ab", created_at: "2026-11-02T10:00:00Z", last_used_at: null, revoked_at: null }] });
    }));
    render(<App />);
    expect(await screen.findByText("Creada")).toBeTruthy();
    expect(screen.getByText("Clave")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Revocar" }));
    expect(await screen.findByText("Clave «Almacén Sur» revocada")).toBeTruthy();
    expect(calls).toContain("DELETE /api/admin/api-keys/k1");
  });

  it("inside the admin a confirmation is App Bridge's toast", async () => {
    const show = vi.fn();
    window.shopify = { idToken: async () => "bridge-token", toast: { show } };
    window.history.replaceState(null, "", "/suppliers?embedded=1&locale=es");
    vi.stubGlobal("fetch", vi.fn(async (_url: string, init: RequestInit = {}) =>
      init.method === "DELETE" ? new Response(null, { status: 204 })
        : json(200, { api_keys: [{ id: "k1", name: "Almacén Sur", prefix: "wbk_ab", created_at: "2026-11-02T10:00:00Z", last_used_at: null, revoked_at: null }] })));
    render(<App />);
    fireEvent.click(await screen.findByRole("button", { name: "Revocar" }));
    await waitFor(() => expect(show).toHaveBeenCalledWith("Clave «Almacén Sur» revocada", { isError: false }));
  });
});
