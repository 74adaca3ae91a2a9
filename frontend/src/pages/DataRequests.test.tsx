import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { translator } from "../i18n";
import { answering, renderPage, type Call } from "../test-utils";
import type { DataRequest, DataRequestList } from "../types";
import { DataRequests, reportText } from "./DataRequests";

const apiDouble = vi.hoisted(() => ({ fn: (async () => undefined) as (path: string, init?: RequestInit) => Promise<unknown> }));
vi.mock("../api", () => ({ api: (path: string, init?: RequestInit) => apiDouble.fn(path, init) }));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const request: DataRequest = {
  id: "dr1",
  created_at: "2026-11-24T09:30:00Z",
  customer: { id: 555, email: "ana@cliente.example" },
  orders_requested: [900],
  report: {
    orders: [{
      id: 900, name: "#1042", email: "ana@cliente.example", customer_id: 555, customer_first_name: "Ana", customer_locale: "es-MX",
      shipping_country: "MX", phone: "+525512345678", notify_phone: "+525587654321", updated_at: "2026-11-20T10:00:00Z",
      line_items: [{ id: 9001, sku: "TAZA-AZUL", title: "Taza azul", quantity: 3 }],
    }],
    shipments: [{
      id: "s1", order_id: 900, order_name: "#1042", tracking_number: "RB123456785ES", carrier: "Correos", tracking_url: "https://correos.example/t",
      state: "synced", status: "in_transit", shipped_at: "2026-11-21T08:00:00Z", estimated_delivery_at: null, created_at: "2026-11-21T07:00:00Z",
      line_items: [{ id: 9001, sku: "TAZA-AZUL", title: "Taza azul", quantity: 3 }],
    }],
    texts: [{
      id: "m1", shipment_id: "s1", order_id: 900, order_name: "#1042", tracking_number: "RB123456785ES", channel: "whatsapp", event: "shipped",
      locale: "es", status: "read", queued_at: "2026-11-21T07:59:00Z", sent_at: "2026-11-21T08:00:00Z", delivered_at: "2026-11-21T08:00:05Z",
      read_at: "2026-11-21T09:00:00Z",
    }],
  },
};
const list = (items: DataRequest[], total = items.length): DataRequestList => ({ data_requests: items, total, page: 1, per_page: 50 });

describe("customer data requests", () => {
  it("lists a request with the customer's orders, phones, shipments and messages, in Spanish", async () => {
    const calls: Call[] = [];
    apiDouble.fn = answering({ "GET /data-requests?page=1": list([request]) }, calls) as typeof apiDouble.fn;
    renderPage(<DataRequests />, "es", "/data-requests?id_token=tok&locale=es");
    expect(screen.getByText("Solicitudes de datos de clientes")).toBeTruthy();
    expect(await screen.findByRole("heading", { name: "ana@cliente.example" })).toBeTruthy();
    expect(screen.getByText("ID de cliente 555")).toBeTruthy();
    expect(screen.getByText(/^Recibida el 24 de noviembre de 2026/)).toBeTruthy();
    expect(screen.getByText("Pedidos que indicó Shopify: #1042")).toBeTruthy();
    expect(screen.getByText("Pedidos: 1 · Envíos: 1 · Mensajes: 1")).toBeTruthy();
    expect(screen.getByRole("heading", { name: "Pedido #1042" })).toBeTruthy();
    expect(screen.getByText("3 × Taza azul (SKU TAZA-AZUL)")).toBeTruthy();
    expect(screen.getByText("México", { exact: false })).toBeTruthy();
    expect(screen.getByText("+525512345678")).toBeTruthy();
    expect(screen.getByText("Teléfono para avisos por WhatsApp/SMS:")).toBeTruthy();
    expect(screen.getByText("+525587654321")).toBeTruthy();
    expect(screen.getByText(/^Envío RB123456785ES · WhatsApp «Enviado»: Leído · 21 de noviembre de 2026/)).toBeTruthy();
    expect(screen.getByText("En tránsito")).toBeTruthy();
    expect(screen.getByText(/Envío RB123456785ES · Correos/)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Copiar como texto" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Descargar JSON" })).toBeTruthy();
    expect(calls).toEqual([{ path: "/data-requests?page=1", method: "GET", body: undefined }]);
  });

  it("shows the phones and the messages in English; a phone not given for texts is left out", async () => {
    const withoutNotify: DataRequest = { ...request, report: { ...request.report, orders: [{ ...request.report.orders[0], notify_phone: "" }] } };
    apiDouble.fn = answering({ "GET /data-requests?page=1": list([withoutNotify]) }, []) as typeof apiDouble.fn;
    renderPage(<DataRequests />, "en", "/data-requests?id_token=tok&locale=en");
    expect(await screen.findByText("Orders: 1 · Shipments: 1 · Messages: 1")).toBeTruthy();
    expect(screen.getByText("Phone:")).toBeTruthy();
    expect(screen.getByText("+525512345678")).toBeTruthy();
    expect(screen.queryByText("Phone for WhatsApp/SMS updates:")).toBeNull();
    expect(screen.getByText("WhatsApp and SMS messages:")).toBeTruthy();
    expect(screen.getByText(/^Shipment RB123456785ES · WhatsApp “Shipped”: Read · 21 November 2026/)).toBeTruthy();
    const text = reportText(translator("en"), "en", withoutNotify);
    expect(text).toContain("  Phone: +525512345678");
    expect(text).not.toContain("Phone for WhatsApp/SMS updates");
    expect(text).toContain("    Shipment RB123456785ES · WhatsApp “Shipped”: Read · 21 November 2026");
  });

  it("copies the report as text to send to the customer", async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    apiDouble.fn = answering({ "GET /data-requests?page=1": list([request]) }, []) as typeof apiDouble.fn;
    renderPage(<DataRequests />, "es", "/data-requests?id_token=tok&locale=es");
    fireEvent.click(await screen.findByRole("button", { name: "Copiar como texto" }));
    await waitFor(() => expect(writeText).toHaveBeenCalledOnce());
    const text = (writeText.mock.calls[0] as unknown as [string])[0];
    expect(text).toContain("Datos que Waybill guarda sobre ana@cliente.example");
    expect(text).toContain("Pedido #1042");
    expect(text).toContain("  Nombre: Ana");
    expect(text).toContain("  País de envío: México");
    expect(text).toContain("    3 × Taza azul (SKU TAZA-AZUL)");
    expect(text).toContain("  Envío RB123456785ES");
    expect(text).toContain("    Estado: En tránsito");
    expect(text).toContain("    Enlace de seguimiento: https://correos.example/t");
    expect(text).toContain("  Teléfono: +525512345678");
    expect(text).toContain("  Teléfono para avisos por WhatsApp/SMS: +525587654321");
    expect(text).toContain("  Mensajes de WhatsApp y SMS:\n    Envío RB123456785ES · WhatsApp «Enviado»: Leído · 21 de noviembre de 2026");
  });

  it("says so when Waybill holds nothing about the customer, and when no request came", async () => {
    const nobody: DataRequest = { ...request, id: "dr2", customer: { id: 0, email: "nadie@cliente.example" }, orders_requested: [],
      report: { orders: [], shipments: [], texts: [] } };
    apiDouble.fn = answering({ "GET /data-requests?page=1": list([nobody]) }, []) as typeof apiDouble.fn;
    renderPage(<DataRequests />, "es", "/data-requests?id_token=tok&locale=es");
    expect(await screen.findByText("Waybill no guarda ningún dato de este cliente.")).toBeTruthy();
    expect(screen.getByText("Shopify no indicó pedidos")).toBeTruthy();
    expect(reportText(translator("es"), "es", nobody)).toContain("Waybill no guarda ningún dato de este cliente.");
    cleanup();
    apiDouble.fn = answering({ "GET /data-requests?page=1": list([]) }, []) as typeof apiDouble.fn;
    renderPage(<DataRequests />, "es", "/data-requests?id_token=tok&locale=es");
    expect(await screen.findByText("Aún no hay solicitudes de datos")).toBeTruthy();
  });

  it("pages through many requests", async () => {
    const calls: Call[] = [];
    apiDouble.fn = answering({
      "GET /data-requests?page=1": list([request], 51),
      "GET /data-requests?page=2": { ...list([{ ...request, id: "dr9", customer: { id: 9, email: "luis@cliente.example" } }], 51), page: 2 },
    }, calls) as typeof apiDouble.fn;
    renderPage(<DataRequests />, "es", "/data-requests?id_token=tok&locale=es");
    expect(await screen.findByText("Página 1 de 2")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Siguiente" }));
    expect(await screen.findByRole("heading", { name: "luis@cliente.example" })).toBeTruthy();
    expect(calls.map((c) => c.path)).toEqual(["/data-requests?page=1", "/data-requests?page=2"]);
  });
});
