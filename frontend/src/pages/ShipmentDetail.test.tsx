import { AppProvider } from "@shopify/polaris";
import en from "@shopify/polaris/locales/en.json";
import es from "@shopify/polaris/locales/es.json";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { I18nProvider } from "../i18n";
import type { ShipmentDetailResponse } from "../types";
import { ShipmentDetail } from "./ShipmentDetail";

// The page loads the shipment through the API client: the test answers it.
let answer: ShipmentDetailResponse;
vi.mock("../api", () => ({ api: vi.fn(async () => answer) }));

afterEach(cleanup);

function detail(trackingURL: string): ShipmentDetailResponse {
  return {
    shipment: {
      id: "s1", order_id: 1, order_name: "#1001", order_ref: "#1001", tracking_number: "RB123456785ES", carrier: "Correos",
      tracking_url: trackingURL, source: "shopify", state: "synced", state_reason: "", status: "in_transit", line_items: [],
      created_at: "2026-11-24T12:00:00Z",
    },
    history: [], checkpoints: [], emails: [],
  };
}

const show = () =>
  render(
    <AppProvider i18n={en}>
      <I18nProvider locale="en">
        <ShipmentDetail id="s1" />
      </I18nProvider>
    </AppProvider>,
  );

describe("shipment detail's tracking link", () => {
  it("is a link for an https URL", async () => {
    answer = detail("https://www.correos.es/track?n=RB123456785ES");
    show();
    const link = (await screen.findByText("https://www.correos.es/track?n=RB123456785ES")).closest("a");
    expect(link?.getAttribute("href")).toBe("https://www.correos.es/track?n=RB123456785ES");
  });
  it("is text, never a link, for javascript: and other schemes", async () => {
    for (const bad of ["javascript:alert(document.domain)", "data:text/html,<script>alert(1)</script>"]) {
      answer = detail(bad);
      const { container } = show();
      expect((await screen.findByText(bad)).closest("a")).toBeNull();
      for (const a of container.querySelectorAll("a")) expect(a.getAttribute("href") ?? "").not.toMatch(/^\s*(javascript|data):/i);
      cleanup();
    }
  });
});

describe("shipment detail's parcel", () => {
  const inSpanish = () =>
    render(
      <AppProvider i18n={es}>
        <I18nProvider locale="es">
          <ShipmentDetail id="s1" />
        </I18nProvider>
      </AppProvider>,
    );

  it("says, in Spanish, the status and its source, the carrier's ETA, and why it stalled since when", async () => {
    const d = detail("");
    answer = {
      ...d,
      shipment: {
        ...d.shipment, status: "attempted_delivery", status_source: "17track", estimated_delivery_at: "2026-12-15T12:00:00Z",
        delivery_window_from: "2026-12-12T12:00:00Z", delivery_window_to: "2026-12-19T12:00:00Z",
        stalled_at: "2026-12-16T08:00:00Z", stalled_reason: "past_estimate", tracker_state: "registered", tracker_detail: "",
      },
    };
    inSpanish();
    expect(await screen.findByText("vía 17TRACK")).toBeTruthy();
    expect(screen.getAllByText("Intento de entrega").length).toBeGreaterThan(0);
    expect(screen.getByText("Entrega estimada: mar, 15 dic (según el transportista)")).toBeTruthy();
    expect(screen.getByText("Ya pasó su entrega estimada y aún no se ha entregado.")).toBeTruthy();
    // In the admin's language, whatever the browser's: "16 dic 2026", never "12/16/2026, 8:00 AM".
    expect(screen.getByText(/^Estancado desde 16\sdic\s2026/)).toBeTruthy();
    expect(document.getElementById("parcel-tracker")?.textContent).toBe("Servicio de seguimiento: Registrado: las novedades llegan solas");
  });

  it("falls back to the merchant's transit window, and names a rejected tracker's reason", async () => {
    const d = detail("");
    answer = {
      ...d,
      shipment: {
        ...d.shipment, status: "in_transit", status_source: "shopify", estimated_delivery_at: null,
        delivery_window_from: "2026-12-12T12:00:00Z", delivery_window_to: "2026-12-19T12:00:00Z",
        stalled_at: "2026-12-10T08:00:00Z", stalled_reason: "no_events", tracker_state: "rejected", tracker_detail: "number_refused",
      },
    };
    inSpanish();
    expect(await screen.findByText("vía Shopify")).toBeTruthy();
    expect(screen.getByText("Entrega prevista: 12–19 dic (según tu plazo de tránsito)")).toBeTruthy();
    expect(screen.getByText("El transportista lleva más días sin novedades de los que permite tu ajuste de retrasos.")).toBeTruthy();
    expect(document.getElementById("parcel-tracker")?.textContent).toBe("Servicio de seguimiento: Rechazado por el servicio de seguimiento — el servicio no acepta este número");
  });
});

describe("shipment detail's messages", () => {
  it("lists its WhatsApp and SMS messages beside its emails, in Spanish", async () => {
    const d = detail("");
    answer = {
      ...d,
      shipment: { ...d.shipment, state: "pending" },
      emails: [{ event: "shipped", status: "skipped", reason: "preference_off", detail: "The customer chose not to hear of this by email.", queued_at: "2026-12-02T09:00:00Z" }],
      texts: [
        { id: "t1", shipment_id: "s1", channel: "whatsapp", event: "shipped", locale: "es", status: "read", reason: "", detail: "", provider_message_id: "wamid.1",
          segments: 0, encoding: "", queued_at: "2026-12-02T10:00:00Z", sent_at: "2026-12-02T10:00:02Z", delivered_at: "2026-12-02T10:01:00Z",
          read_at: "2026-12-02T11:30:00Z", updated_at: "2026-12-02T11:30:00Z" },
        { id: "t2", shipment_id: "s1", channel: "sms", event: "shipped", locale: "es", status: "suppressed", reason: "opted_out", detail: "The customer replied STOP.",
          provider_message_id: "", segments: 0, encoding: "", queued_at: "2026-12-02T10:00:00Z", sent_at: null, delivered_at: null, read_at: null,
          updated_at: "2026-12-02T10:00:00Z" },
      ],
    };
    render(
      <AppProvider i18n={es}>
        <I18nProvider locale="es">
          <ShipmentDetail id="s1" />
        </I18nProvider>
      </AppProvider>,
    );
    expect(await screen.findByText("WhatsApp y SMS")).toBeTruthy();
    expect(screen.getByText("Correos")).toBeTruthy();
    expect(document.body.textContent).toContain("Enviado: No enviado — El cliente eligió no recibir este correo en su página de preferencias.");
    expect(document.querySelector('[data-text="t1"]')?.textContent).toMatch(/— WhatsApp · Enviado: Leído \(2\sdic\s2026/);
    expect(document.querySelector('[data-text="t2"]')?.textContent).toMatch(
      /— SMS · Enviado: Dado de baja — El cliente se dio de baja: respondió STOP o BAJA, o lo desactivó en su página de preferencias\.$/);
    expect(document.body.textContent).not.toContain("replied STOP");
  });
});
