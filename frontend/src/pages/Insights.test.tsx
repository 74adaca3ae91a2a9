import { cleanup, fireEvent, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answering, renderPage, type Call } from "../test-utils";
import type { InsightRow, Insights as InsightsData } from "../types";
import { Insights, lastDays } from "./Insights";
import { Shipments } from "./Shipments";

const apiDouble = vi.hoisted(() => ({ fn: (async () => undefined) as (path: string, init?: RequestInit) => Promise<unknown> }));
vi.mock("../api", () => ({ api: (path: string, init?: RequestInit) => apiDouble.fn(path, init), sessionToken: async () => "tok" }));

// jsdom has no ResizeObserver (Polaris and the charts measure themselves).
class NoResize {
  observe() {}
  unobserve() {}
  disconnect() {}
}
vi.stubGlobal("ResizeObserver", NoResize);

afterEach(cleanup);

const correos: InsightRow = {
  key: "Correos", key_is_source: false, shipments: 1250, order_to_fulfillment_days: { median: 2.5, p90: 10 },
  fulfillment_to_delivery_days: { median: 3.5625, p90: 5 }, delivered: 980, delivered_on_time_share: 0.875,
  exceptions: 12, stalled: 30, emails_sent: 2400, tracking_page_visits: 5311,
};
const unknown: InsightRow = {
  key: "", key_is_source: false, shipments: 3, order_to_fulfillment_days: { median: null, p90: null },
  fulfillment_to_delivery_days: { median: null, p90: null }, delivered: 0, delivered_on_time_share: null,
  exceptions: 0, stalled: 0, emails_sent: 0, tracking_page_visits: 0,
};

// tab is a grouping's button (pressed when chosen).
function tab(name: string): HTMLElement {
  return screen.getByRole("button", { name });
}

function path(by: string, days = 30) {
  const p = lastDays(days);
  return `/insights?from=${p.from}&to=${p.to}&by=${by}`;
}

describe("insights", () => {
  it("shows the table in Spanish with decimal commas", async () => {
    const calls: Call[] = [];
    const data: InsightsData = { by: "carrier", ...lastDays(30), rows: [correos, unknown], live: true, computed_at: null };
    apiDouble.fn = answering({ [`GET ${path("carrier")}`]: data }, calls) as typeof apiDouble.fn;
    renderPage(<Insights />, "es", "/insights?id_token=tok");
    const cell = await screen.findByText("Correos", { selector: "th, td" });
    const row = within(cell.closest("tr") as HTMLElement);
    expect(row.getByText("2,5 · 90 %: 10,0")).toBeTruthy(); // order → shipped: median 2.5, p90 10
    expect(row.getByText("3,6 · 90 %: 5,0")).toBeTruthy(); // shipped → delivered
    expect(row.getByText(/^88\s?%$/)).toBeTruthy(); // 0.875 delivered on time
    expect(row.getByText("1250")).toBeTruthy(); // Spanish writes four digits without a separator
    expect(row.getByText("5311")).toBeTruthy();
    expect(screen.getByText("Desconocido", { selector: "th, td" })).toBeTruthy();
    for (const h of ["Transportista", "Envíos", "Pedido → enviado (días)", "Enviado → entregado (días)", "A tiempo", "Incidencias", "Estancados",
      "Correos enviados", "Visitas a la página de seguimiento"])
      expect(screen.getAllByText(h).length).toBeGreaterThan(0);
    expect(screen.getByText("Días de enviado a entregado")).toBeTruthy();
    expect(screen.queryByText("Carrier")).toBeNull();
    expect(screen.queryByText(/^Actualizado/)).toBeNull(); // computed live: nothing to date
    expect(calls.map((c) => c.path)).toEqual([path("carrier")]);
  });

  it("says how old the figures are when served from a snapshot", async () => {
    const fiveMinutesAgo = new Date(Date.now() - 5 * 60_000 - 1_000).toISOString();
    const snapshot: InsightsData = { by: "carrier", ...lastDays(30), rows: [correos], live: false, computed_at: fiveMinutesAgo };
    apiDouble.fn = answering({
      [`GET ${path("carrier")}`]: snapshot,
      [`GET ${path("carrier", 90)}`]: { ...snapshot, ...lastDays(90), rows: [], computed_at: new Date().toISOString() },
    }, []) as typeof apiDouble.fn;
    renderPage(<Insights />, "es", "/insights?id_token=tok");
    expect(await screen.findByText("Actualizado hace 5 min")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Periodo"), { target: { value: "90" } });
    expect(await screen.findByText("Actualizado hace un momento")).toBeTruthy(); // also above an empty period
    expect(screen.getByText("No hay envíos en este periodo")).toBeTruthy();
    cleanup();

    apiDouble.fn = answering({ [`GET ${path("carrier")}`]: snapshot }, []) as typeof apiDouble.fn;
    renderPage(<Insights />, "en", "/insights?id_token=tok");
    expect(await screen.findByText("Updated 5 min ago")).toBeTruthy();
  });

  it("groups by destination with the countries' names, and by supplier with sources named", async () => {
    const es: InsightRow = { ...correos, key: "MX", shipments: 10 };
    const key: InsightRow = { ...correos, key: "Proveedor Shenzhen", shipments: 7 };
    const csv: InsightRow = { ...correos, key: "csv", key_is_source: true, shipments: 2 };
    apiDouble.fn = answering({
      [`GET ${path("carrier")}`]: { by: "carrier", rows: [correos] },
      [`GET ${path("country")}`]: { by: "country", rows: [es] },
      [`GET ${path("supplier")}`]: { by: "supplier", rows: [key, csv] },
      [`GET ${path("supplier", 365)}`]: { by: "supplier", rows: [] },
    }, []) as typeof apiDouble.fn;
    renderPage(<Insights />, "es", "/insights?id_token=tok");
    await screen.findByText("Correos", { selector: "th, td" });
    fireEvent.click(tab("Por destino"));
    expect(await screen.findByText("México", { selector: "th, td" })).toBeTruthy();
    expect(tab("Por destino").getAttribute("aria-pressed")).toBe("true");
    fireEvent.click(tab("Por proveedor"));
    expect(await screen.findByText("Proveedor Shenzhen", { selector: "th, td" })).toBeTruthy();
    expect(screen.getByText("CSV", { selector: "th, td" })).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Periodo"), { target: { value: "365" } });
    expect(await screen.findByText("No hay envíos en este periodo")).toBeTruthy();
  });

  it("exports the shipments the list's filters select", async () => {
    apiDouble.fn = answering({ "GET /shipments?state=failed&carrier=Correos&page=2": { shipments: [], total: 0, page: 2, per_page: 50 } }, []) as typeof apiDouble.fn;
    const fetch = vi.fn(async () => new Response("\ufefforder\n", { status: 200, headers: { "Content-Disposition": 'attachment; filename="waybill-shipments-2026-12-01.csv"' } }));
    vi.stubGlobal("fetch", fetch);
    const made: string[] = [];
    URL.createObjectURL = () => "blob:x";
    URL.revokeObjectURL = () => {};
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      made.push(this.download);
    });
    renderPage(<Shipments />, "es", "/shipments?state=failed&carrier=Correos&page=2");
    fireEvent.click(await screen.findByRole("button", { name: "Exportar CSV" }));
    await vi.waitFor(() => expect(made).toEqual(["waybill-shipments-2026-12-01.csv"]));
    expect(fetch).toHaveBeenCalledWith("/api/admin/shipments/export.csv?state=failed&carrier=Correos", { headers: { Authorization: "Bearer tok" } });
    click.mockRestore();
    vi.unstubAllGlobals();
    vi.stubGlobal("ResizeObserver", NoResize);
  });
});
