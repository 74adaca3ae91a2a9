import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answering, renderPage, type Call } from "../test-utils";
import type { NotificationSettings, PreviewRequest } from "../types";
import { Notifications } from "./Notifications";

const apiDouble = vi.hoisted(() => ({ fn: (async () => undefined) as (path: string, init?: RequestInit) => Promise<unknown> }));
vi.mock("../api", async (original) => ({ ...(await original<typeof import("../api")>()), api: (path: string, init?: RequestInit) => apiDouble.fn(path, init) }));

afterEach(cleanup);

const settings: NotificationSettings = {
  branding: { logo_url: "", accent_color: "#1f6feb", sender_name: "Acme", reply_to: "", footer_text: "" },
  primary_locale: "es", disabled_events: { delayed: true }, templates: {}, customer_emails: "waybill", locales: ["en", "es"],
  events: ["shipped", "tracking_updated", "out_for_delivery", "delivered", "delivery_exception", "attempted_delivery", "ready_for_pickup", "delayed"],
};

describe("notifications' email switches", () => {
  it("lists the events in order with descriptions, the delay email optional and off, and saves a switch", async () => {
    const calls: Call[] = [];
    apiDouble.fn = answering({
      "GET /notifications/settings": settings,
      "POST /notifications/preview": { subject: "Tu pedido", html: "" },
      "PUT /notifications/settings": (b: NotificationSettings) => b,
    }, calls) as typeof apiDouble.fn;
    renderPage(<Notifications />, "es");
    await screen.findByText("Correos que se envían");
    const ids = [...document.querySelectorAll<HTMLInputElement>("input[id^=event-]")].map((i) => i.id);
    expect(ids).toEqual(["event-shipped", "event-tracking_updated", "event-out_for_delivery", "event-attempted_delivery", "event-ready_for_pickup",
      "event-delivered", "event-delivery_exception", "event-delayed"]);
    expect(document.querySelector("label[for=event-attempted_delivery]")?.textContent).toContain("Intento de entrega");
    expect(screen.getByText("Cuando espera en un punto de recogida o en una oficina de correos.")).toBeTruthy();
    expect(screen.getByText("Opcional")).toBeTruthy();
    expect(screen.getByText(/^Desactivado hasta que lo actives/)).toBeTruthy();
    const delayed = document.getElementById("event-delayed") as HTMLInputElement;
    expect(delayed.checked).toBe(false);
    expect((document.getElementById("event-attempted_delivery") as HTMLInputElement).checked).toBe(true);
    fireEvent.click(delayed);
    fireEvent.click(screen.getByRole("button", { name: "Guardar" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    expect((calls.find((c) => c.method === "PUT")!.body as NotificationSettings).disabled_events).toEqual({ delayed: false });
  });
});

describe("the test send tells the truth", () => {
  const routes = (answer: unknown) => ({
    "GET /notifications/settings": settings,
    "GET /shipments": { shipments: [], total: 0, page: 1, per_page: 50 },
    "POST /notifications/preview": { subject: "Tu pedido #1001 está en camino", html: "" },
    "POST /notifications/test": answer,
  });
  it("says nothing was sent when SMTP is not configured", async () => {
    const calls: Call[] = [];
    apiDouble.fn = answering(routes({ sent: false, reason: "smtp_not_configured", to: "hola@acme.example", subject: "[Test] Tu pedido" }), calls) as typeof apiDouble.fn;
    renderPage(<Notifications />, "es");
    fireEvent.click(await screen.findByRole("button", { name: "Enviar una prueba al correo de la tienda" }));
    const msg = await screen.findByText(/^No se envió nada: SMTP no está configurado/);
    expect(msg.textContent).toContain("hola@acme.example");
    expect(screen.queryByText(/Prueba enviada/)).toBeNull();
    expect(calls.find((c) => c.path === "/notifications/test")!.body).toMatchObject({ event: "shipped", locale: "es" });
  });
  it("says where it went when it was sent", async () => {
    apiDouble.fn = answering(routes({ sent: true, to: "hola@acme.example", subject: "[Test] Tu pedido" }), []) as typeof apiDouble.fn;
    renderPage(<Notifications />, "es");
    fireEvent.click(await screen.findByRole("button", { name: "Enviar una prueba al correo de la tienda" }));
    expect(await screen.findByText("Prueba enviada a hola@acme.example.")).toBeTruthy();
    expect(screen.queryByText(/No se envió nada/)).toBeNull();
  });
});

describe("the email text editor", () => {
  const previews = (calls: Call[]) => calls.filter((c) => c.path === "/notifications/preview").map((c) => c.body as PreviewRequest);

  it("lists the placeholders, previews each event in each language with the text being edited, saves and resets", async () => {
    const calls: Call[] = [];
    apiDouble.fn = answering({
      "GET /notifications/settings": { ...settings, placeholders: ["OrderName", "CustomerFirstName", "ShopName", "Carrier", "TrackingNumber", "EstimatedDeliveryText"] },
      "GET /shipments": { shipments: [], total: 0, page: 1, per_page: 50 },
      "POST /notifications/preview": (b: PreviewRequest) => ({ subject: `asunto de ${b.event}`, html: "<p>x</p>" }),
      "PUT /notifications/settings": (b: NotificationSettings) => b,
    }, calls) as typeof apiDouble.fn;
    renderPage(<Notifications />, "es");
    await screen.findByText("Textos de los correos");
    const listed = [...document.querySelectorAll("#placeholders code")].map((c) => c.textContent);
    expect(listed).toEqual(["{{.OrderName}}", "{{.CustomerFirstName}}", "{{.ShopName}}", "{{.Carrier}}", "{{.TrackingNumber}}", "{{.EstimatedDeliveryText}}"]);
    expect(screen.getByText("el nombre del pedido, como #1001")).toBeTruthy();
    await waitFor(() => expect(previews(calls).some((p) => p.event === "shipped" && p.locale === "es")).toBe(true));

    // Every event can be edited and previewed, not only "shipped".
    const eventSelect = document.getElementById("text-event") as HTMLSelectElement;
    expect([...eventSelect.options].map((o) => o.value)).toEqual(["shipped", "tracking_updated", "out_for_delivery", "attempted_delivery",
      "ready_for_pickup", "delivered", "delivery_exception", "delayed"]);
    for (const e of ["delivered", "ready_for_pickup", "delayed"]) {
      fireEvent.change(document.getElementById("text-event")!, { target: { value: e } });
      await waitFor(() => expect(previews(calls).some((p) => p.event === e)).toBe(true));
      expect(await screen.findByText(`asunto de ${e}`)).toBeTruthy();
    }
    fireEvent.change(document.getElementById("text-event")!, { target: { value: "delivered" } });
    fireEvent.change(document.getElementById("text-locale")!, { target: { value: "en" } });
    fireEvent.change(document.getElementById("text-subject")!, { target: { value: "Delivered: {{.OrderName}}" } });
    await waitFor(() => expect(previews(calls).some((p) => p.event === "delivered" && p.locale === "en" && p.template?.subject === "Delivered: {{.OrderName}}")).toBe(true));
    expect(screen.getByText("Cambios sin guardar: pulsa Guardar para conservarlos.")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Guardar" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    expect((calls.find((c) => c.method === "PUT")!.body as NotificationSettings).templates).toEqual({ en: { delivered: { subject: "Delivered: {{.OrderName}}", intro: "" } } });

    // Reset to default: the subject is Waybill's again, and saving drops it.
    fireEvent.click(screen.getByRole("button", { name: "Volver al asunto de Waybill" }));
    expect((document.getElementById("text-subject") as HTMLInputElement).value).toBe("");
    fireEvent.click(screen.getByRole("button", { name: "Guardar" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "PUT").length).toBe(2));
    expect((calls.filter((c) => c.method === "PUT")[1].body as NotificationSettings).templates).toEqual({ en: {} });
  });

  it("previews with a real shipment when one is chosen", async () => {
    const calls: Call[] = [];
    apiDouble.fn = answering({
      "GET /notifications/settings": settings,
      "GET /shipments": { shipments: [{ id: "sh_9", order_name: "#2044", order_ref: "#2044", tracking_number: "LX123456785CN", carrier: "China Post" }], total: 1, page: 1, per_page: 50 },
      "POST /notifications/preview": { subject: "Tu pedido #2044 está en camino", html: "" },
    }, calls) as typeof apiDouble.fn;
    renderPage(<Notifications />, "es");
    await screen.findByText("#2044 · China Post LX123456785CN");
    fireEvent.change(document.getElementById("preview-shipment")!, { target: { value: "sh_9" } });
    await waitFor(() => expect(previews(calls).some((p) => p.shipment_id === "sh_9" && p.event === "shipped")).toBe(true));
  });
});
