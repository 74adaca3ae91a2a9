import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answering, renderPage, type Call } from "../test-utils";
import type { NotificationSettings } from "../types";
import { Notifications } from "./Notifications";

const apiDouble = vi.hoisted(() => ({ fn: (async () => undefined) as (path: string, init?: RequestInit) => Promise<unknown> }));
vi.mock("../api", () => ({ api: (path: string, init?: RequestInit) => apiDouble.fn(path, init) }));

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
    expect(screen.getByText("Intento de entrega")).toBeTruthy();
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
