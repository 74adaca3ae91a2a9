// The backend says what happened as codes and parameters; the admin says it
// in the merchant's language. Rendered in Spanish, with a fixture for every
// code, the dashboard's activity, a shipment's history and reason, the
// shipments list and an import's report must hold none of the English
// sentences the backend used to send, nor a raw value.
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { en } from "./locales/messages";
import { renderPage } from "./test-utils";
import type { ActivityItem, HistoryEvent, ImportPreview, ImportReport, ImportRow, Shipment, ShipmentDetailResponse, ShipmentList, Stats } from "./types";
import { Dashboard } from "./pages/Dashboard";
import { Import } from "./pages/Import";
import { ShipmentDetail } from "./pages/ShipmentDetail";
import { Shipments } from "./pages/Shipments";

const answers = vi.hoisted(() => ({ api: {} as Record<string, unknown>, upload: {} as Record<string, unknown> }));
vi.mock("../api", () => ({}));
vi.mock("./api", () => ({
  api: async (path: string) => {
    const key = Object.keys(answers.api).find((k) => path.startsWith(k));
    if (!key) throw new Error(`no answer for ${path}`);
    return JSON.parse(JSON.stringify(answers.api[key]));
  },
  upload: async (path: string) => JSON.parse(JSON.stringify(answers.upload[path])),
  sessionToken: async () => "tok",
}));

// Every code the backend writes (app/message.go), with its parameters.
const lines: Record<string, Record<string, string>> = {
  received: { source: "csv" },
  pushed_created: { location: "Almacén Madrid" },
  pushed_existing: {},
  pushed_updated: { changed_meanwhile: "true" },
  pushed_untracked: {},
  tracking_changed: { from_carrier: "Correos", from_number: "PK123456789ES", to_carrier: "UPS", to_number: "1Z999AA10123456784" },
  status_changed: { from: "shipped", to: "in_transit", source: "17track" },
  stalled: { reason: "no_events" },
  retried: { reason_code: "check_digit", carrier: "UPS" },
  cancelled: {},
  fulfillment_failed: { status: "failure" },
  failed_shopify: { message: "Línea no disponible" },
  failed_unreachable: { message: "503" },
  needs_attention_no_order: { order: "#1001" },
  needs_attention_nothing_to_fulfil: { order: "#1001" },
  needs_attention_several_locations: { order: "#1001", count: "2", locations: "Madrid, Valencia" },
  needs_attention_line_nothing_left: { order: "#1001", line_item_id: "77" },
  needs_attention_line_short: { order: "#1001", sku: "TAZA-01", quantity: "4", left: "3" },
  needs_attention_lines_split: { order: "#1001" },
  ambiguous_carrier: { carriers: "DHL, FedEx" },
  check_digit: { carrier: "UPS" },
};
const rowErrors: Record<string, Record<string, string>> = {
  order_required: {},
  order_invalid: {},
  tracking_number_required: {},
  tracking_number_invalid: { value: "12" },
  text_invalid_utf8: { field: "carrier" },
  text_control_characters: { field: "order" },
  text_too_long: { field: "line_items[0].sku", max: "255" },
  tracking_url_invalid: { max: "2000" },
  line_needs_item: { index: "0" },
  line_quantity_invalid: { index: "1" },
  line_quantity_too_large: { index: "0" },
  order_has_no_line_item: { index: "0", order: "#1001", line_item_id: "9" },
  order_has_no_sku: { index: "0", order: "#1001", sku: "GORRA" },
  order_id_invalid: { value: "abc" },
  quantity_invalid: { value: "dos" },
  quantity_without_sku: {},
  row_unreadable: { reason: "a quote (\") opened on this line is never closed" },
  row_not_object: {},
  unknown_field: { field: "trackng_url" },
  field_not_text: { field: "carrier" },
  notify_customer_invalid: {},
  line_items_not_array: {},
  line_not_object: { index: "0" },
  line_sku_not_text: { index: "1" },
  line_item_id_invalid: { index: "0" },
  channel_invalid: {},
  meta_ids_invalid: {},
  app_secret_required: {},
  twilio_account_invalid: {},
  twilio_sender_invalid: {},
  token_required: {},
  phone_field_invalid: { field: "contact.whatsapp" },
  test_phone_missing: {},
  provider_refused_key: { detail: "Meta error 190" },
  templates_whatsapp_only: {},
  email_field_invalid: { field: "contact.email" },
};

// What the backend used to send in English, and raw values.
const english = [
  "Received from", "Fulfillment created", "Already a fulfillment", "Tracking number updated", "Tracking number added", "changed meanwhile",
  "Shopify has no order", "Nothing is left", "Nothing of", "Asked for", "ship from", "fits several carriers", "check digit", "looks like",
  "Fulfillment cancelled", "Shopify reports", "could not be reached", "Retried after", "is required", "is not a tracking number", "must be",
  "is longer than", "not valid UTF-8", "control characters", "is too large", "needs a sku", "has no line", "is given without", "cannot be read",
  "never closed", "Received", "Pushed", "Parcel status", "Delayed", "Accepted", "Rejected", "Duplicate",
];
const raw = /\b(pending|accepted|duplicate|rejected|in_transit|shipped|no_events|past_estimate|needs_attention|failure|17track|csv|check_digit)\b/;

function expectSpanish(text: string) {
  for (const words of english) expect(text, `"${words}" in: ${text}`).not.toContain(words);
  expect(text).not.toMatch(raw);
}

const at = "2026-11-24T12:00:00Z";
const history: HistoryEvent[] = Object.entries(lines).map(([code, params]) => ({ kind: "received", detail: "Received from csv", created_at: at, code, params }));
const activity: ActivityItem[] = Object.entries(lines).map(([code, params], i) => ({ shipment_id: `s${i}`, order_name: "#1001", kind: "pushed", detail: "Fulfillment created in Shopify from X.", at, code, params }));
const shipment = (code: string, params: Record<string, string>, i = 0): Shipment => ({
  id: `s${i}`, order_id: 1, order_name: "#1001", order_ref: "#1001", tracking_number: "1Z999AA10123456785", carrier: "", tracking_url: "",
  source: "csv", state: "needs_attention", state_reason: "The tracking number looks like UPS but its check digit is wrong: check the number.",
  state_code: code, state_params: params, status: "pending", created_at: at, line_items: [{ line_item_id: 1, sku: "TAZA-01", title: "Taza", quantity: 2 }],
});

afterEach(cleanup);

describe("messages in Spanish", () => {
  it("has a fixture for every code, and Spanish words for each", () => {
    const helpers = new Set(["changed_meanwhile", "status_changed_nosource", "retried_plain", "unknown"]);
    const codes = Object.keys(en).filter((k) => /^messages\.[a-z0-9_]+$/.test(k)).map((k) => k.slice("messages.".length)).filter((c) => !helpers.has(c));
    expect([...codes].sort()).toEqual([...Object.keys(lines), ...Object.keys(rowErrors)].sort());
  });

  it("says the dashboard's activity in Spanish", async () => {
    const counts = { awaiting_tracking: 0, pending: 0, synced: 0, failed: 0, needs_attention: 1, emails_sent: 0, unsubscribes: 0, stalled: 0 };
    const stats: Stats = { last_7_days: counts, last_30_days: counts, activity, shop: { name: "Mi Tienda", needs_reauth: false } };
    answers.api = { "/stats": stats };
    const { container } = renderPage(<Dashboard />, "es");
    expect(await screen.findByText("Recibido desde un archivo CSV.")).toBeTruthy();
    expect(screen.getByText("Preparación creada en Shopify desde Almacén Madrid.")).toBeTruthy();
    expect(screen.getByText("Estado del paquete: Enviado → En tránsito (según 17TRACK).", { exact: false })).toBeTruthy();
    expectSpanish(container.textContent ?? "");
  });

  it("says a shipment's history, reason and items in Spanish", async () => {
    const d: ShipmentDetailResponse = { shipment: shipment("check_digit", { carrier: "UPS" }), history, checkpoints: [{ happened_at: at, status: "in_transit", location: "Madrid, ES", message: "" }], emails: [] };
    answers.api = { "/shipments/s0": d };
    const { container } = renderPage(<ShipmentDetail id="s0" />, "es");
    expect(await screen.findByText("El número parece de UPS, pero su dígito de control no cuadra: revísalo. Si es correcto, vuelve a enviarlo tal cual.")).toBeTruthy();
    const text = container.textContent ?? "";
    expect(text).toContain("Taza × 2");
    expect(text).toContain("Shopify no tiene el pedido #1001 en esta tienda.");
    expect(text).toContain("Seguimiento cambiado: Correos PK123456789ES → UPS 1Z999AA10123456784.");
    expect(text).toContain("Enviado de nuevo a Shopify tras: El número parece de UPS");
    expect(text).toContain("Se pidieron 4 × TAZA-01 del pedido #1001, pero solo quedan 3 por preparar.");
    expect(text).toContain("No queda nada de la línea 77 por preparar en el pedido #1001.");
    expect(text).toContain("Shopify lo rechazó: «Línea no disponible»");
    expect(text).toContain("Retrasado: ");
    expect(text).toContain("Número de seguimiento actualizado en Shopify. El número cambió mientras tanto");
    expectSpanish(text);
  });

  it("says each shipment's reason in the list in Spanish", async () => {
    const list: ShipmentList = { shipments: Object.entries(lines).map(([code, params], i) => shipment(code, params, i)), total: 21, page: 1, per_page: 50 };
    answers.api = { "/shipments": list };
    const { container } = renderPage(<Shipments />, "es", "/shipments?id_token=tok");
    expect(await screen.findAllByText("Shopify no tiene el pedido #1001 en esta tienda.")).toHaveLength(1);
    expect(container.querySelectorAll("[data-state-reason]").length).toBe(Object.keys(lines).length);
    expectSpanish(container.querySelector("table")?.textContent ?? "");
  });

  describe("import results", () => {
    class NoResize {
      observe() {}
      unobserve() {}
      disconnect() {}
    }
    beforeEach(() => vi.stubGlobal("ResizeObserver", NoResize));
    afterEach(() => vi.unstubAllGlobals());

    it("says each row's result in Spanish", async () => {
      const rows: ImportRow[] = [
        { line: 2, order: "#1001", tracking_number: "1Z999AA10123456785", status: "accepted", shipment_id: "s1", warning: "The tracking number looks like UPS but its check digit is wrong: check the number.", warning_code: "check_digit", warning_params: { carrier: "UPS" } },
        { line: 3, order: "#1002", tracking_number: "RB123456785ES", status: "accepted", shipment_id: "s2" },
        { line: 4, order: "#1002", tracking_number: "RB123456785ES", status: "duplicate", shipment_id: "s2" },
        ...Object.entries(rowErrors).map(([code, params], i): ImportRow => ({ line: 5 + i, order: "#1003", tracking_number: "X", status: "rejected", error: "order is required", error_code: code, error_params: params })),
      ];
      const report: ImportReport = { rows, accepted: 2, duplicate: 1, rejected: rows.length - 3, encoding: "utf-8" };
      const preview: ImportPreview = { dry_run: true, format: "waybill", encoding: "utf-8", columns: [{ header: "order", field: "order" }, { header: "tracking_number", field: "tracking_number" }], rows: rows.length, shipments: rows.length, rejected: 0, sample: [], problems: [] };
      answers.upload = { "/imports?dry_run=true": preview, "/imports": report };
      answers.api = { "/shipments/": { shipment: { state: "needs_attention" }, history: [], checkpoints: [], emails: [] } };
      renderPage(<Import />, "es");
      const input = document.querySelector('input[type="file"]') as HTMLInputElement;
      fireEvent.change(input, { target: { files: [new File(["order,tracking_number\n"], "envios.csv", { type: "text/csv" })] } });
      fireEvent.click(await screen.findByRole("button", { name: /^Importar/ }));
      await waitFor(() => expect(document.getElementById("import-summary")).toBeTruthy());
      const table = document.querySelector("table:last-of-type") ?? document.body;
      const text = [...document.querySelectorAll("table")].map((t) => t.textContent).join(" ");
      expect(text).toContain("Aceptada, te espera: El número parece de UPS, pero su dígito de control no cuadra");
      expect(text).toContain("Duplicada: ya se había recibido");
      expect(text).toContain("Rechazada: Falta el pedido");
      expect(text).toContain("Rechazada: El campo SKU del artículo 1 tiene más de 255 caracteres.");
      expect(text).toContain("Rechazada: La cantidad del artículo 2 debe ser un número entero mayor que 0.");
      expect(table).toBeTruthy();
      expectSpanish(text);
    });
  });
});
