import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import { answering, renderPage, type Call } from "../test-utils";
import type { EmailLogItem, EmailLogPage, NotificationSettings, Shipment } from "../types";
import { EmailLog, ResendEmail, resendableEvents } from "./EmailLog";

const apiDouble = vi.hoisted(() => ({ fn: (async () => undefined) as (path: string, init?: RequestInit) => Promise<unknown> }));
vi.mock("../api", async (original) => ({ ...(await original<typeof import("../api")>()), api: (path: string, init?: RequestInit) => apiDouble.fn(path, init) }));

afterEach(cleanup);

const row = (over: Partial<EmailLogItem>): EmailLogItem => ({
  id: "n1", shipment_id: "s1", order_name: "#1001", tracking_number: "RB123456785ES", event: "shipped", recipient: "lucia@example.com",
  locale: "es", status: "sent", reason: "", detail: "", note: "", queued_at: "2026-12-02T10:00:00Z", sent_at: "2026-12-02T10:00:05Z", ...over,
});

const page = (rows: EmailLogItem[], total = rows.length): EmailLogPage => ({ notifications: rows, total, page: 1, per_page: 50 });

describe("the email log page", () => {
  it("shows each email in Spanish: the event and status in words, why it failed, the note", async () => {
    const calls: Call[] = [];
    apiDouble.fn = answering({
      "GET /notifications": page([
        row({ id: "n3", order_name: "#1003", event: "delivered", status: "failed", reason: "smtp_refused", detail: "550 5.1.1 mailbox unavailable", sent_at: null }),
        row({ id: "n2", order_name: "#1002", event: "attempted_delivery", status: "suppressed", reason: "suppressed", detail: "The customer unsubscribed from shipping emails.", sent_at: null }),
        row({ id: "n1", order_name: "#1001", event: "shipped", status: "sent", note: "Gracias por tu paciencia" }),
      ]),
    }, calls) as typeof apiDouble.fn;
    renderPage(<EmailLog />, "es", "/emails?id_token=tok");
    await screen.findByText("#1003");
    expect(screen.getByText("Correos enviados")).toBeTruthy();
    const rows = [...document.querySelectorAll("tbody tr")].map((r) => r.textContent ?? "");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain("Entregado");
    expect(rows[0]).toContain("Fallido");
    expect(rows[0]).toContain("El servidor de correo lo rechazó.");
    expect(rows[0]).toContain("550 5.1.1 mailbox unavailable");
    expect(rows[1]).toContain("Intento de entrega");
    expect(rows[1]).toContain("Dado de baja");
    expect(rows[1]).toContain("El cliente se dio de baja de los avisos de envío.");
    expect(rows[1]).not.toContain("unsubscribed");
    expect(rows[2]).toContain("Enviado");
    expect(rows[2]).toContain("Mensaje personal: Gracias por tu paciencia");
    expect(screen.getByText("#1003").closest("a")?.getAttribute("href")).toContain("/shipments/s1");
    expect(calls[0].path).toBe("/notifications");
  });

  it("searches by order and filters by status through the query", async () => {
    const calls: Call[] = [];
    apiDouble.fn = answering({
      "GET /notifications": page([]),
      "GET /notifications?q=%2310%25": page([row({ order_name: "#10%" })]),
      "GET /notifications?q=%2310%25&status=failed": page([]),
    }, calls) as typeof apiDouble.fn;
    renderPage(<EmailLog />, "es", "/emails?id_token=tok");
    expect(await screen.findByText("Ningún correo coincide.")).toBeTruthy();
    const search = document.getElementById("log-search") as HTMLInputElement;
    fireEvent.change(search, { target: { value: "#10%" } });
    fireEvent.submit(search.closest("form")!);
    expect(await screen.findByText("#10%")).toBeTruthy();
    const status = document.getElementById("log-status") as HTMLSelectElement;
    expect([...status.options].map((o) => o.textContent)).toEqual(["Todos", "En cola", "Enviado", "Fallido", "Dado de baja", "No enviado"]);
    fireEvent.change(status, { target: { value: "failed" } });
    await waitFor(() => expect(calls.at(-1)?.path).toBe("/notifications?q=%2310%25&status=failed"));
    expect(window.location.search).toContain("status=failed");
    expect(window.location.search).toContain("id_token=tok");
  });
});

const shipment = (over: Partial<Shipment>): Shipment => ({
  id: "s1", order_id: 1, order_name: "#1001", order_ref: "#1001", tracking_number: "RB123456785ES", carrier: "Correos", tracking_url: "",
  source: "api", state: "synced", state_reason: "", status: "in_transit", created_at: "2026-12-01T10:00:00Z", ...over,
});

describe("resend", () => {
  it("offers only the emails that fit the parcel", () => {
    expect(resendableEvents(shipment({ state: "pending" }))).toEqual([]);
    expect(resendableEvents(shipment({ status: "in_transit" }))).toEqual(["shipped", "tracking_updated"]);
    expect(resendableEvents(shipment({ status: "delivered" }))).toEqual(["delivered"]);
    expect(resendableEvents(shipment({ status: "available_for_pickup" }))).toEqual(["shipped", "tracking_updated", "ready_for_pickup"]);
    expect(resendableEvents(shipment({ status: "exception", stalled_at: "2026-12-05T00:00:00Z" }))).toEqual(["shipped", "tracking_updated", "delivery_exception", "delayed"]);
  });

  it("sends the chosen email with the personal note, in Spanish", async () => {
    const calls: Call[] = [];
    const settings = { disabled_events: { delayed: true } } as unknown as NotificationSettings;
    apiDouble.fn = answering({
      "GET /notifications/settings": settings,
      "POST /shipments/s1/resend": { notification: { id: "n9", status: "queued" } },
    }, calls) as typeof apiDouble.fn;
    const done = vi.fn();
    renderPage(<ResendEmail shipment={shipment({ status: "delivered", stalled_at: null })} onDone={done} />, "es");
    await waitFor(() => expect(calls.some((c) => c.path === "/notifications/settings")).toBe(true));
    const select = document.getElementById("resend-event") as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(["Entregado"]);
    fireEvent.change(document.getElementById("resend-note")!, { target: { value: "Te regalamos <b>envío gratis</b> en tu próxima compra" } });
    fireEvent.click(screen.getByRole("button", { name: "Enviar de nuevo" }));
    expect(await screen.findByText("El correo va de camino al cliente: síguelo en Correos enviados.")).toBeTruthy();
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({ event: "delivered", note: "Te regalamos <b>envío gratis</b> en tu próxima compra" });
    expect(done).toHaveBeenCalled();
  });

  it("leaves out emails switched off and says a refusal in Spanish", async () => {
    apiDouble.fn = answering({
      "GET /notifications/settings": { disabled_events: { delayed: true } },
      "POST /shipments/s1/resend": new ApiError("the shipped email does not fit this shipment", 409),
    }, []) as typeof apiDouble.fn;
    renderPage(<ResendEmail shipment={shipment({ status: "in_transit", stalled_at: "2026-12-05T00:00:00Z" })} onDone={() => {}} />, "es");
    expect(await screen.findByText("Desactivados en Notificaciones: Con retraso.")).toBeTruthy();
    const select = document.getElementById("resend-event") as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(["shipped", "tracking_updated"]);
    fireEvent.click(screen.getByRole("button", { name: "Enviar de nuevo" }));
    expect(await screen.findByText(/^Este correo no se puede enviar ahora para este envío/)).toBeTruthy();
  });
});
