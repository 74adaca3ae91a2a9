import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { answering, renderPage, type Call } from "../test-utils";
import type { ChannelList, ChannelView, TextSettings } from "../types";
import { Channels } from "./Channels";

const apiDouble = vi.hoisted(() => ({ fn: (async () => undefined) as (path: string, init?: RequestInit) => Promise<unknown> }));
vi.mock("../api", () => ({ api: (path: string, init?: RequestInit) => apiDouble.fn(path, init) }));

let calls: Call[];
let routes: Record<string, unknown>;

const events = ["shipped", "out_for_delivery", "attempted_delivery", "ready_for_pickup", "delivered", "delivery_exception", "delayed"];
// As the server sends them: every channel × event, off or not.
const matrix = (off: Record<string, string[]>) =>
  Object.fromEntries(["whatsapp", "sms"].map((ch) => [ch, Object.fromEntries(events.map((e) => [e, (off[ch] ?? []).includes(e)]))]));
const settings: TextSettings = {
  disabled_events: matrix({ whatsapp: ["delivered", "delayed"], sms: ["delayed"] }),
  contact: { whatsapp: "+34612345678", email: "", phone: "" },
  events,
};

const whatsapp: ChannelView = {
  id: "ch1", channel: "whatsapp", provider: "meta", account_id: "102290129340398", sender_id: "106540352242922",
  verify_token: "wbv_Q2F9XK3M", token_hint: "…x9Zq", test_phone: "+34612345678", checked_at: "2026-12-01T09:00:00Z", check_error: "unreachable",
  created_at: "2026-12-01T09:00:00Z", webhook_url: "https://waybill.example/texts/whatsapp/ch1",
  templates: [
    { event: "shipped", language: "es", name: "waybill_shipped", status: "approved", reason: "" },
    { event: "out_for_delivery", language: "es", name: "waybill_out_for_delivery", status: "pending", reason: "" },
    { event: "delivered", language: "es", name: "waybill_delivered", status: "rejected", reason: "INVALID_FORMAT" },
    { event: "delayed", language: "en", name: "waybill_delayed", status: "missing", reason: "" },
  ],
};

const sms: ChannelView = {
  id: "ch2", channel: "sms", provider: "twilio", account_id: "AC0123456789abcdef0123456789abcdef", sender_id: "+34600111222",
  token_hint: "…f00d", test_phone: "+34612345678", checked_at: null, check_error: "", created_at: "2026-12-01T09:00:00Z",
  webhook_url: "https://waybill.example/texts/twilio/ch2/inbound", templates: null,
};

const list = (...channels: ChannelView[]): ChannelList => ({ channels });

beforeEach(() => {
  calls = [];
  routes = { "GET /channels": list(), "GET /texts/settings": settings };
  apiDouble.fn = answering(routes, calls) as typeof apiDouble.fn;
});
afterEach(cleanup);

const card = (channel: string) => document.querySelector(`[data-channel="${channel}"]`) as HTMLElement;
const input = (id: string) => document.getElementById(id) as HTMLInputElement;
const writes = (method: string) => calls.filter((c) => c.method === method);

describe("connecting a channel", () => {
  it("connects WhatsApp with what was typed and shows the verify token and webhook URL to paste into Meta", async () => {
    routes["POST /channels"] = { channel: { ...whatsapp, checked_at: "2026-12-03T10:00:00Z", check_error: "", templates: whatsapp.templates!.map((t) => ({ ...t, status: "pending", reason: "" })) } };
    renderPage(<Channels />, "en", "/channels?id_token=tok");
    await screen.findByRole("button", { name: "Connect WhatsApp" });
    const wa = card("whatsapp");
    fireEvent.change(within(wa).getByLabelText("WhatsApp Business Account ID"), { target: { value: " 102290129340398 " } });
    fireEvent.change(within(wa).getByLabelText("Phone number ID"), { target: { value: "106540352242922" } });
    fireEvent.change(within(wa).getByLabelText("Access token"), { target: { value: "EAAGm0PX4ZCpsBAx9Zq" } });
    fireEvent.change(within(wa).getByLabelText("App secret"), { target: { value: "5f2b7c9d1e3a" } });
    fireEvent.change(within(wa).getByLabelText("Your phone, for tests"), { target: { value: "+34 612 345 678" } });
    fireEvent.click(within(wa).getByRole("button", { name: "Connect WhatsApp" }));

    expect(await screen.findByText("WhatsApp is connected")).toBeTruthy();
    expect(writes("POST")).toEqual([{
      path: "/channels", method: "POST",
      body: { channel: "whatsapp", account_id: "102290129340398", sender_id: "106540352242922", token: "EAAGm0PX4ZCpsBAx9Zq", app_secret: "5f2b7c9d1e3a", test_phone: "+34 612 345 678" },
    }]);
    expect(input("whatsapp-webhook-url").value).toBe("https://waybill.example/texts/whatsapp/ch1");
    expect(input("whatsapp-verify-token").value).toBe("wbv_Q2F9XK3M");
    expect(within(wa).getByText("Set up the webhook in Meta")).toBeTruthy();
    expect(within(wa).getByText("Paste the callback URL and the verify token below, then press Verify and save.")).toBeTruthy();
    expect(within(wa).getByRole("button", { name: "Copy: Verify token" })).toBeTruthy();
    // the secrets typed are gone from the page; the token shows by its hint only
    expect(document.body.innerHTML).not.toContain("EAAGm0PX4ZCpsBAx9Zq");
    expect(document.body.innerHTML).not.toContain("5f2b7c9d1e3a");
    expect(within(wa).getByText("…x9Zq")).toBeTruthy();
    expect(within(wa).getByText("It works")).toBeTruthy();
    // the test phone is prefilled from the connection
    expect(input("whatsapp-test-to").value).toBe("+34612345678");
    // the list is read again behind it; SMS is still to connect
    expect(calls.filter((c) => c.path === "/channels" && c.method === "GET").length).toBe(2);
    expect(within(card("sms")).getByRole("button", { name: "Connect Twilio" })).toBeTruthy();
  });

  it("asks for every id and secret, secrets as passwords, before sending anything", async () => {
    renderPage(<Channels />);
    fireEvent.click(await screen.findByRole("button", { name: "Connect WhatsApp" }));
    expect((await within(card("whatsapp")).findAllByText("Required")).length).toBe(4);
    expect(within(card("sms")).queryByText("Required")).toBeNull();
    expect(writes("POST")).toEqual([]);
    expect(input("whatsapp-token").type).toBe("password");
    expect(input("whatsapp-secret").type).toBe("password");
    expect(input("sms-token").type).toBe("password");
  });

  it("connects Twilio without an app secret and shows the URL for replies", async () => {
    routes["POST /channels"] = { channel: sms };
    renderPage(<Channels />);
    await screen.findByRole("button", { name: "Connect Twilio" });
    const box = card("sms");
    expect(within(box).queryByLabelText("App secret")).toBeNull();
    fireEvent.change(within(box).getByLabelText("Account SID"), { target: { value: "AC0123456789abcdef0123456789abcdef" } });
    fireEvent.change(within(box).getByLabelText("Sender number or Messaging Service SID"), { target: { value: "+34600111222" } });
    fireEvent.change(within(box).getByLabelText("Auth token"), { target: { value: "0123456789abcdef0123456789abf00d" } });
    fireEvent.click(within(box).getByRole("button", { name: "Connect Twilio" }));
    expect(await screen.findByText("SMS is connected")).toBeTruthy();
    expect(writes("POST")[0].body).toEqual({
      channel: "sms", account_id: "AC0123456789abcdef0123456789abcdef", sender_id: "+34600111222", token: "0123456789abcdef0123456789abf00d", app_secret: "", test_phone: "",
    });
    expect(input("sms-webhook-url").value).toBe("https://waybill.example/texts/twilio/ch2/inbound");
    expect(document.getElementById("sms-verify-token")).toBeNull();
    expect(within(box).getByText(/Set “A message comes in” to Webhook, HTTP POST/)).toBeTruthy();
  });

  it("shows the server's refusal and keeps the form", async () => {
    routes["POST /channels"] = new Error("account_id must be the Twilio Account SID (AC followed by 32 hex digits)");
    renderPage(<Channels />);
    await screen.findByRole("button", { name: "Connect Twilio" });
    const box = card("sms");
    fireEvent.change(within(box).getByLabelText("Account SID"), { target: { value: "MG123" } });
    fireEvent.change(within(box).getByLabelText("Sender number or Messaging Service SID"), { target: { value: "+34600111222" } });
    fireEvent.change(within(box).getByLabelText("Auth token"), { target: { value: "secret" } });
    fireEvent.click(within(box).getByRole("button", { name: "Connect Twilio" }));
    expect(await within(box).findByText("account_id must be the Twilio Account SID (AC followed by 32 hex digits)")).toBeTruthy();
    expect(input("sms-account").value).toBe("MG123");
  });
});

describe("a connected channel", () => {
  it("shows its templates' review in Spanish, with Meta's reason, and submits them again", async () => {
    routes["GET /channels"] = list(whatsapp, sms);
    routes["POST /channels/ch1/templates"] = { templates: whatsapp.templates!.map((t) => ({ ...t, status: "approved", reason: "" })) };
    renderPage(<Channels />, "es", "/channels?id_token=tok&locale=es");
    const table = await waitFor(() => {
      const el = document.getElementById("whatsapp-templates");
      if (!el) throw new Error("no templates yet");
      return el;
    });
    const rows = [...table.querySelectorAll("tbody tr")].map((r) => r.textContent ?? "");
    expect(rows).toHaveLength(4);
    expect(rows[0]).toContain("Enviado");
    expect(rows[0]).toContain("Español");
    expect(rows[0]).toContain("waybill_shipped");
    expect(rows[0]).toContain("Aprobada");
    expect(rows[1]).toContain("En revisión");
    expect(rows[2]).toContain("Rechazada");
    expect(rows[2]).toContain("Motivo de Meta: el formato no es válido");
    expect(rows[3]).toContain("Sin enviar");
    expect(rows[3]).toContain("English");
    expect(table.textContent).not.toMatch(/approved|pending|rejected|INVALID_FORMAT|missing/);
    // the last test the server recorded, in Spanish
    expect(within(card("whatsapp")).getByText("Meta no respondió: vuelve a intentarlo dentro de unos minutos.")).toBeTruthy();
    expect(within(card("sms")).getByText("Aún sin probar")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Enviar / actualizar plantillas" }));
    expect(await screen.findByText("Plantillas leídas de nuevo desde Meta.")).toBeTruthy();
    expect(writes("POST").map((c) => c.path)).toEqual(["/channels/ch1/templates"]);
    const after = [...document.querySelectorAll("#whatsapp-templates tbody tr")].map((r) => r.textContent ?? "");
    expect(after.every((r) => r.includes("Aprobada"))).toBe(true);
  });

  it("sends a test message to the phone typed and says the provider's refusal in Spanish", async () => {
    routes["GET /channels"] = list(whatsapp, sms);
    routes["POST /channels/ch2/test"] = { sent: false, error: "request_refused", detail: "Twilio error 21610: Attempt to send to unsubscribed recipient", to: "+34 ••• 111" };
    renderPage(<Channels />, "es", "/channels?id_token=tok&locale=es");
    await screen.findByRole("button", { name: "Enviar mensaje de prueba: SMS" });
    expect(input("sms-test-to").value).toBe("+34612345678");
    fireEvent.change(input("sms-test-to"), { target: { value: "+34 699 000 111" } });
    fireEvent.click(screen.getByRole("button", { name: "Enviar mensaje de prueba: SMS" }));
    const result = await waitFor(() => {
      const el = document.querySelector('[data-test-result="sms"]');
      if (!el) throw new Error("no result yet");
      return el;
    });
    expect(result.textContent).toBe("No se envió a +34 ••• 111. Twilio rechazó el mensaje: revisa el remitente y que el teléfono pueda recibirlo.");
    expect(screen.getByText("Respuesta de Twilio: Twilio error 21610: Attempt to send to unsubscribed recipient")).toBeTruthy();
    expect(writes("POST")).toEqual([{ path: "/channels/ch2/test", method: "POST", body: { to: "+34 699 000 111" } }]);
    // the connection's last test is this one now
    expect(document.querySelector('[data-last-test="sms"]')?.textContent).toContain("Twilio rechazó el mensaje");
    expect(document.querySelector('[data-last-test="sms"]')?.textContent).not.toContain("Aún sin probar");
  });

  it("says a test that went through", async () => {
    routes["GET /channels"] = list(whatsapp);
    routes["POST /channels/ch1/test"] = { sent: true, to: "+34 ••• 678" };
    renderPage(<Channels />);
    fireEvent.click(await screen.findByRole("button", { name: "Send test message: WhatsApp" }));
    expect(await screen.findByText("Test message sent to +34 ••• 678: check your phone.")).toBeTruthy();
    expect(writes("POST")[0].body).toEqual({ to: "+34612345678" });
    expect(document.querySelector('[data-last-test="whatsapp"]')?.textContent).toContain("It works");
  });

  it("disconnects only after confirming", async () => {
    routes["GET /channels"] = list(whatsapp, sms);
    routes["DELETE /channels/ch2"] = undefined;
    renderPage(<Channels />);
    fireEvent.click(await screen.findByRole("button", { name: "Disconnect: SMS" }));
    expect(writes("DELETE")).toEqual([]);
    const confirm = screen.getByText(/Disconnect SMS\?/).closest(".Polaris-Banner") as HTMLElement;
    routes["GET /channels"] = list(whatsapp);
    fireEvent.click(within(confirm).getByRole("button", { name: "Disconnect" }));
    await waitFor(() => expect(writes("DELETE").map((c) => c.path)).toEqual(["/channels/ch2"]));
    expect(await screen.findByText("SMS disconnected")).toBeTruthy();
    expect(await within(card("sms")).findByRole("button", { name: "Connect Twilio" })).toBeTruthy();
  });
});

describe("messages to send and the contact button", () => {
  it("shows each channel's switches as saved and PUTs what was changed with the contact options", async () => {
    routes["GET /channels"] = list(whatsapp);
    routes["PUT /texts/settings"] = (body: TextSettings) => ({ ...body, events });
    renderPage(<Channels />);
    await waitFor(() => expect(input("switch-whatsapp-shipped")).toBeTruthy());
    // on unless switched off; "delayed" off until switched on
    expect(input("switch-whatsapp-shipped").checked).toBe(true);
    expect(input("switch-whatsapp-delivered").checked).toBe(false);
    expect(input("switch-sms-delivered").checked).toBe(true);
    expect(input("switch-whatsapp-delayed").checked).toBe(false);
    expect(input("switch-sms-delayed").checked).toBe(false);
    expect(screen.getByLabelText("Delivered by WhatsApp")).toBe(input("switch-whatsapp-delivered"));
    expect(input("contact-whatsapp").value).toBe("+34612345678");
    expect(await screen.findByText("SMS is not connected: its messages are not sent until it is.")).toBeTruthy();

    fireEvent.click(input("switch-whatsapp-shipped"));
    fireEvent.click(input("switch-whatsapp-delivered"));
    fireEvent.click(input("switch-sms-delayed"));
    fireEvent.change(input("contact-email"), { target: { value: " hola@mitienda.es " } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Saved")).toBeTruthy();
    expect(writes("PUT")).toEqual([{
      path: "/texts/settings", method: "PUT",
      body: {
        disabled_events: matrix({ whatsapp: ["shipped", "delayed"], sms: [] }),
        contact: { whatsapp: "+34612345678", email: "hola@mitienda.es", phone: "" },
      },
    }]);
    expect(input("switch-whatsapp-shipped").checked).toBe(false);
    expect(input("switch-sms-delayed").checked).toBe(true);
  });

  it("reads events the server does not list as on, except the delay, off until switched on", async () => {
    routes["GET /texts/settings"] = { disabled_events: { sms: { shipped: true } }, contact: { whatsapp: "", email: "", phone: "" } };
    renderPage(<Channels />);
    await waitFor(() => expect(input("switch-sms-shipped")).toBeTruthy());
    expect(input("switch-sms-shipped").checked).toBe(false);
    expect(input("switch-whatsapp-shipped").checked).toBe(true);
    expect(input("switch-whatsapp-ready_for_pickup").checked).toBe(true);
    expect(input("switch-whatsapp-delayed").checked).toBe(false);
    expect(input("switch-sms-delayed").checked).toBe(false);
  });

  it("names the switches in Spanish and shows a refusal", async () => {
    routes["PUT /texts/settings"] = new Error("contact.whatsapp must be a phone number (with its country code: +34 612 345 678)");
    renderPage(<Channels />, "es", "/channels?id_token=tok&locale=es");
    await waitFor(() => expect(input("switch-sms-out_for_delivery")).toBeTruthy());
    expect(screen.getByLabelText("En reparto por SMS")).toBe(input("switch-sms-out_for_delivery"));
    const table = document.getElementById("text-switches")!;
    expect([...table.querySelectorAll("thead th")].map((th) => th.textContent)).toEqual(["Aviso", "WhatsApp", "SMS"]);
    expect(table.textContent).toContain("Con retraso");
    fireEvent.change(input("contact-whatsapp"), { target: { value: "hola" } });
    fireEvent.click(screen.getByRole("button", { name: "Guardar" }));
    expect(await screen.findByText("contact.whatsapp must be a phone number (with its country code: +34 612 345 678)")).toBeTruthy();
  });
});
