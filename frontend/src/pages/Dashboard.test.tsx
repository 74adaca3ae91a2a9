import { cleanup, fireEvent, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answering, renderPage } from "../test-utils";
import type { StatCounts, Stats } from "../types";
import { Dashboard } from "./Dashboard";

const apiDouble = vi.hoisted(() => ({ fn: (async () => undefined) as (path: string, init?: RequestInit) => Promise<unknown> }));
vi.mock("../api", () => ({ api: (path: string, init?: RequestInit) => apiDouble.fn(path, init) }));

afterEach(cleanup);

const counts: StatCounts = { awaiting_tracking: 1, pending: 0, synced: 5, failed: 0, needs_attention: 0, emails_sent: 3, unsubscribes: 0, stalled: 7 };
const stats: Stats = { last_7_days: counts, last_30_days: { ...counts, synced: 40 }, activity: [], shop: { name: "Acme", needs_reauth: false } };

describe("dashboard", () => {
  it("has a Stalled card whose named link opens the stalled shipments", async () => {
    apiDouble.fn = answering({ "GET /stats": stats }, []) as typeof apiDouble.fn;
    renderPage(<Dashboard />, "en", "/?shop=acme.myshopify.com&id_token=tok");
    expect((await screen.findByText("Stalled")).textContent).toBe("Stalled");
    expect(document.getElementById("stat-stalled")?.textContent).toBe("7");
    const link = screen.getByRole("link", { name: "See stalled shipments" });
    expect(link.getAttribute("href")).toBe("/shipments?shop=acme.myshopify.com&id_token=tok&stalled=true");
    // every card's link has a name, not just an arrow
    for (const a of screen.getAllByRole("link")) expect(a.getAttribute("aria-label") ?? "").not.toBe("");
    fireEvent.click(link);
    expect(window.location.pathname + window.location.search).toBe("/shipments?shop=acme.myshopify.com&id_token=tok&stalled=true");
  });

  it("names the link in Spanish", async () => {
    apiDouble.fn = answering({ "GET /stats": stats }, []) as typeof apiDouble.fn;
    renderPage(<Dashboard />, "es", "/?id_token=tok");
    expect(await screen.findByRole("link", { name: "Ver envíos estancados" })).toBeTruthy();
    const failed = screen.getByRole("link", { name: "Ver envíos fallidos" });
    expect(failed.getAttribute("href")).toBe("/shipments?id_token=tok&state=failed");
    expect(failed.textContent).toBe("Ver envíos fallidos"); // seen, not only read: no bare "→"
  });

  it("counts the last 30 days' WhatsApp and SMS messages per channel and links to the message log", async () => {
    const texts: Stats["texts"] = {
      whatsapp: { sent: 3, delivered: 5, read: 10, failed: 2, queued: 4 },
      sms: { sent: 4, delivered: 6, failed: 1, skipped: 9 },
    };
    apiDouble.fn = answering({ "GET /stats": { ...stats, texts } }, []) as typeof apiDouble.fn;
    renderPage(<Dashboard />, "es", "/?id_token=tok");
    expect(await screen.findByText("WhatsApp y SMS, últimos 30 días")).toBeTruthy();
    const table = document.getElementById("text-counts")!;
    expect([...table.querySelectorAll("thead th")].map((th) => th.textContent)).toEqual(["", "Enviados", "Entregados", "Leídos", "Fallidos"]);
    const cells = [...table.querySelectorAll("tbody tr")].map((r) => [...r.querySelectorAll("th, td")].map((c) => c.textContent));
    // sent counts everything the provider took, delivered includes the read ones
    expect(cells).toEqual([["WhatsApp", "18", "15", "10", "2"], ["SMS", "10", "6", "—", "1"]]);
    const link = screen.getByRole("link", { name: "Ver el registro de mensajes" });
    expect(link.getAttribute("href")).toBe("/messages?id_token=tok");
  });

  it("says when no messages went out, with the way to connect a channel", async () => {
    apiDouble.fn = answering({ "GET /stats": stats }, []) as typeof apiDouble.fn;
    renderPage(<Dashboard />, "en", "/?id_token=tok");
    expect(await screen.findByText("No WhatsApp or SMS messages in the last 30 days.")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Connect WhatsApp or SMS" }).getAttribute("href")).toBe("/channels?id_token=tok");
    expect(document.getElementById("text-counts")).toBeNull();
  });
});
