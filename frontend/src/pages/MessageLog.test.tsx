import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answering, renderPage, type Call } from "../test-utils";
import type { TextLogEntry, TextLogPage } from "../types";
import { date } from "../ui";
import { MessageLog } from "./MessageLog";

const apiDouble = vi.hoisted(() => ({ fn: (async () => undefined) as (path: string, init?: RequestInit) => Promise<unknown> }));
vi.mock("../api", () => ({ api: (path: string, init?: RequestInit) => apiDouble.fn(path, init) }));

afterEach(cleanup);

const row = (over: Partial<TextLogEntry>): TextLogEntry => ({
  id: "t1", shipment_id: "s1", channel: "whatsapp", event: "shipped", locale: "es", status: "sent", reason: "", detail: "",
  provider_message_id: "wamid.HBgL", segments: 0, encoding: "", queued_at: "2026-12-02T10:00:00Z", sent_at: "2026-12-02T10:00:02Z",
  delivered_at: null, read_at: null, updated_at: "2026-12-02T10:00:02Z", order_name: "#1001", tracking_number: "RB123456785ES",
  phone_masked: "+34 ••• 678", ...over,
});

const page = (texts: TextLogEntry[]): TextLogPage => ({ texts, total: texts.length, page: 1, per_page: 50 });

describe("the message log", () => {
  it("shows each message in Spanish: a failed one's reason, the masked phone, an SMS's parts, when it was read", async () => {
    apiDouble.fn = answering({
      "GET /texts": page([
        row({ id: "t3", order_name: "#1003", channel: "sms", event: "delivered", status: "failed", reason: "recipient_refused",
          detail: "Twilio error 21614: 'To' number is not a valid mobile number", sent_at: null, segments: 2, encoding: "ucs2", phone_masked: "+34 ••• 911" }),
        row({ id: "t2", order_name: "#1002", event: "out_for_delivery", status: "read", delivered_at: "2026-12-02T10:01:00Z", read_at: "2026-12-02T11:30:00Z" }),
        row({ id: "t1", order_name: "#1001", channel: "sms", event: "shipped", status: "skipped", reason: "no_consent", sent_at: null, phone_masked: "" }),
      ]),
    }, []) as typeof apiDouble.fn;
    renderPage(<MessageLog />, "es", "/messages?id_token=tok&locale=es");
    await screen.findByText("#1003");
    expect(screen.getByText("Mensajes de WhatsApp y SMS")).toBeTruthy();
    const headings = [...document.querySelectorAll("thead th")].map((th) => th.textContent);
    expect(headings).toEqual(["Pedido", "Canal", "Mensaje", "Estado", "Detalles", "Para", "Cuándo"]);
    const rows = [...document.querySelectorAll("tbody tr")];
    expect(rows).toHaveLength(3);
    const failed = rows[0].textContent ?? "";
    expect(failed).toContain("RB123456785ES");
    expect(failed).toContain("SMS");
    expect(failed).toContain("Entregado"); // the event
    expect(failed).toContain("Fallido");
    expect(rows[0].querySelector("[data-reason]")?.textContent).toBe("El proveedor rechazó el número: no es un móvil, no tiene WhatsApp o bloquea los mensajes.");
    expect(failed).toContain("Twilio error 21614"); // the provider's own words, as the detail
    expect(rows[0].querySelector("[data-phone]")?.textContent).toBe("+34 ••• 911");
    expect(rows[0].querySelector("[data-segments]")?.textContent).toBe("2 partes de SMS · caracteres especiales (70 por parte)");
    expect(rows[1].querySelector("[data-segments]")).toBeNull(); // WhatsApp: no parts
    expect(failed).toContain(`En cola el ${date("2026-12-02T10:00:00Z")}`);
    expect(failed).not.toContain("Enviado el");

    const read = rows[1].textContent ?? "";
    expect(read).toContain("En reparto");
    expect(read).toContain("Leído");
    expect(read).toContain(`Entregado el ${date("2026-12-02T10:01:00Z")}`);
    expect(read).toContain(`Leído el ${date("2026-12-02T11:30:00Z")}`);
    expect(date("2026-12-02T11:30:00Z")).toMatch(/dic/); // the shop's language, not the browser's

    expect(rows[2].querySelector("[data-reason]")?.textContent).toBe("El cliente no ha aceptado recibir mensajes por este canal.");
    expect(rows[2].textContent).toContain("No enviado");

    const text = document.querySelector("table")?.textContent ?? "";
    expect(text).not.toMatch(/recipient_refused|no_consent|failed|skipped|whatsapp|ucs2/);
    expect(screen.getByText("#1003").closest("a")?.getAttribute("href")).toContain("/shipments/s1");
  });

  it("searches by order and filters by channel and status through the query", async () => {
    const calls: Call[] = [];
    apiDouble.fn = answering({
      "GET /texts": page([]),
      "GET /texts?q=%2310%25": page([row({ order_name: "#10%" })]),
      "GET /texts?q=%2310%25&channel=sms": page([row({ order_name: "#10%", channel: "sms" })]),
      "GET /texts?q=%2310%25&channel=sms&status=failed": page([]),
    }, calls) as typeof apiDouble.fn;
    renderPage(<MessageLog />, "es", "/messages?id_token=tok");
    expect(await screen.findByText("Ningún mensaje coincide.")).toBeTruthy();
    const search = document.getElementById("texts-search") as HTMLInputElement;
    fireEvent.change(search, { target: { value: "#10%" } });
    fireEvent.submit(search.closest("form")!);
    expect(await screen.findByText("#10%")).toBeTruthy();

    const channel = document.getElementById("texts-channel") as HTMLSelectElement;
    expect([...channel.options].map((o) => o.textContent)).toEqual(["Todos", "WhatsApp", "SMS"]);
    fireEvent.change(channel, { target: { value: "sms" } });
    await waitFor(() => expect(calls.at(-1)?.path).toBe("/texts?q=%2310%25&channel=sms"));

    const status = document.getElementById("texts-status") as HTMLSelectElement;
    expect([...status.options].map((o) => o.textContent)).toEqual(["Todos", "En cola", "Enviado", "Entregado", "Leído", "Fallido", "Dado de baja", "No enviado"]);
    fireEvent.change(status, { target: { value: "failed" } });
    await waitFor(() => expect(calls.at(-1)?.path).toBe("/texts?q=%2310%25&channel=sms&status=failed"));
    expect(window.location.pathname).toBe("/messages");
    expect(window.location.search).toContain("channel=sms");
    expect(window.location.search).toContain("status=failed");
    expect(window.location.search).toContain("id_token=tok");
  });
});
