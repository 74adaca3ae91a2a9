import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { answering, renderPage, type Call } from "../test-utils";
import type { StatusSourceList, TrackingSettings } from "../types";
import { StatusSources } from "./StatusSources";

const apiDouble = vi.hoisted(() => ({ fn: (async () => undefined) as (path: string, init?: RequestInit) => Promise<unknown> }));
vi.mock("../api", () => ({ api: (path: string, init?: RequestInit) => apiDouble.fn(path, init) }));

let calls: Call[];
let routes: Record<string, unknown>;

const sources: StatusSourceList = {
  sources: [
    {
      id: "src1", provider: "17track", name: "17TRACK main", api_key_hint: "9f2c", checked_at: "2026-12-01T10:00:00Z", check_error: "",
      created_at: "2026-11-30T10:00:00Z", webhook_url: "https://waybill.example/carriers/17track/src1",
    },
    {
      id: "src2", provider: "aftership", name: "AfterShip EU", api_key_hint: "77ab", checked_at: "2026-12-02T10:00:00Z", check_error: "rate_limited",
      created_at: "2026-11-30T10:00:00Z", webhook_url: "https://waybill.example/carriers/aftership/src2",
    },
  ],
  providers: [
    { name: "shopify", registers: false, needs: [] },
    { name: "17track", registers: true, needs: ["api_key"] },
    { name: "aftership", registers: true, needs: ["api_key", "webhook_secret"] },
    { name: "easypost", registers: true, needs: ["api_key", "webhook_secret"] },
    { name: "push", registers: false, needs: [] },
  ],
};

const settings: TrackingSettings = {
  shopify_tracking: true, stall_days_domestic: 4, stall_days_cross_border: 10,
  transit_windows: [{ country: "ES", carrier: "", min_days: 3, max_days: 5 }],
};

beforeEach(() => {
  calls = [];
  routes = {
    "GET /status-sources": sources,
    "GET /tracking-settings": settings,
  };
  apiDouble.fn = answering(routes, calls) as typeof apiDouble.fn;
});
afterEach(cleanup);

const writes = (method: string) => calls.filter((c) => c.method === method);

describe("status sources page", () => {
  it("lists the connected sources from the API, with the last test in words", async () => {
    renderPage(<StatusSources />);
    expect(await screen.findByText("17TRACK main")).toBeTruthy();
    expect(screen.getByText("AfterShip EU")).toBeTruthy();
    expect(screen.getByText("…9f2c")).toBeTruthy();
    expect(screen.getByText("The key works")).toBeTruthy();
    expect(screen.getByText("AfterShip is limiting requests right now: try again in a few minutes.")).toBeTruthy();
    // Shopify's own tracking is a switch, on as the server says (the
    // settings arrive on their own request)
    await waitFor(() => expect((document.getElementById("shopify-tracking") as HTMLInputElement | null)?.checked).toBe(true));
    // Shopify is the switch, not a provider to add
    const provider = document.getElementById("source-provider") as HTMLSelectElement;
    expect([...provider.options].map((o) => o.value)).toEqual(["17track", "aftership", "easypost", "push"]);
  });

  it("adds a 3PL push source and shows its URL and secret once", async () => {
    routes["POST /status-sources"] = {
      source: { ...sources.sources[0], id: "src9", provider: "push", name: "Almacén Norte", api_key_hint: "", checked_at: null, webhook_url: "https://waybill.example/carriers/push/src9" },
      secret: "whsec_abc123", url: "https://waybill.example/carriers/push/src9",
    };
    renderPage(<StatusSources />);
    await screen.findByText("17TRACK main");
    fireEvent.change(document.getElementById("source-provider")!, { target: { value: "push" } });
    // push needs no key: no password fields
    expect(screen.queryByLabelText("API key")).toBeNull();
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Almacén Norte" } });
    fireEvent.click(screen.getByRole("button", { name: "Add source" }));

    await screen.findByText("Almacén Norte is connected");
    expect(writes("POST")).toEqual([{ path: "/status-sources", method: "POST", body: { provider: "push", name: "Almacén Norte", api_key: "", webhook_secret: "" } }]);
    expect((document.getElementById("created-url") as HTMLInputElement).value).toBe("https://waybill.example/carriers/push/src9");
    expect((document.getElementById("created-secret") as HTMLInputElement).value).toBe("whsec_abc123");
    expect(screen.getByText("Copy this now: it is shown only once.")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Copy: Signing secret" })).toBeTruthy();
    // the list is read again after the creation
    expect(calls.filter((c) => c.path === "/status-sources" && c.method === "GET").length).toBe(2);

    fireEvent.click(screen.getByRole("button", { name: "Done" }));
    expect(document.body.textContent).not.toContain("whsec_abc123");
    expect(document.getElementById("created-secret")).toBeNull();
  });

  it("asks for the key a provider needs, as a password, before sending anything", async () => {
    renderPage(<StatusSources />);
    await screen.findByText("17TRACK main");
    fireEvent.change(document.getElementById("source-provider")!, { target: { value: "easypost" } });
    expect((screen.getByLabelText("API key") as HTMLInputElement).type).toBe("password");
    expect((screen.getByLabelText("Webhook secret") as HTMLInputElement).type).toBe("password");
    fireEvent.click(screen.getByRole("button", { name: "Add source" }));
    expect((await screen.findAllByText("Required")).length).toBe(2);
    expect(writes("POST")).toEqual([]);
  });

  it("tests a key and says the provider's refusal in Spanish", async () => {
    routes["POST /status-sources/src1/test"] = { ok: false, error: "unauthorized", message: "17TRACK answered 401", checked_at: "2026-12-03T09:00:00Z" };
    renderPage(<StatusSources />, "es");
    await screen.findByText("17TRACK main");
    fireEvent.click(screen.getByRole("button", { name: "Probar: 17TRACK main" }));
    expect(await screen.findByText("17TRACK rechazó la clave: revísala, quita esta fuente y vuelve a añadirla con la clave correcta.")).toBeTruthy();
    expect(screen.queryByText("La clave funciona")).toBeNull();
    expect(writes("POST").map((c) => c.path)).toEqual(["/status-sources/src1/test"]);
  });

  it("removes a source only after confirming", async () => {
    routes["DELETE /status-sources/src2"] = undefined;
    renderPage(<StatusSources />);
    await screen.findByText("AfterShip EU");
    fireEvent.click(screen.getByRole("button", { name: "Remove: AfterShip EU" }));
    expect(writes("DELETE")).toEqual([]);
    const confirm = screen.getByText(/Remove “AfterShip EU”\?/).closest(".Polaris-Banner") as HTMLElement;
    fireEvent.click(within(confirm).getByRole("button", { name: "Remove" }));
    await waitFor(() => expect(writes("DELETE").map((c) => c.path)).toEqual(["/status-sources/src2"]));
  });
});

describe("delays and delivery estimates", () => {
  const row = (i: number) => document.querySelector(`[data-window-row="${i}"]`) as HTMLElement;

  it("refuses a window whose minimum is above its maximum, and a bad country, without saving", async () => {
    renderPage(<StatusSources />);
    await screen.findByText("Transit windows");
    fireEvent.click(screen.getByRole("button", { name: "Add a window" }));
    fireEvent.change(within(row(1)).getByLabelText("Country (ES, MX…)"), { target: { value: "M1" } });
    fireEvent.change(within(row(1)).getByLabelText("Min. days"), { target: { value: "20" } });
    fireEvent.change(within(row(1)).getByLabelText("Max. days"), { target: { value: "10" } });
    fireEvent.change(screen.getByLabelText("Days without news, domestic"), { target: { value: "0" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("The minimum is above the maximum")).toBeTruthy();
    expect(screen.getByText("A two-letter country code (ES, MX…)")).toBeTruthy();
    expect(screen.getByText("Whole days, from 1 to 120")).toBeTruthy();
    expect(screen.getByText("Fix the marked fields before saving.")).toBeTruthy();
    expect(writes("PUT")).toEqual([]);
  });

  it("sends the settings it checked, and shows the server's refusal", async () => {
    routes["PUT /tracking-settings"] = (body: TrackingSettings) => body;
    renderPage(<StatusSources />);
    await screen.findByText("Transit windows");
    fireEvent.change(screen.getByLabelText("Days without news, cross-border"), { target: { value: "12" } });
    fireEvent.click(screen.getByRole("button", { name: "Add a window" }));
    fireEvent.change(within(row(1)).getByLabelText("Country (ES, MX…)"), { target: { value: "mx" } });
    fireEvent.change(within(row(1)).getByLabelText("Carrier (optional)"), { target: { value: " Estafeta " } });
    fireEvent.change(within(row(1)).getByLabelText("Min. days"), { target: { value: "10" } });
    fireEvent.change(within(row(1)).getByLabelText("Max. days"), { target: { value: "20" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("Saved");
    expect(writes("PUT")).toEqual([{
      path: "/tracking-settings", method: "PUT",
      body: {
        shopify_tracking: true, stall_days_domestic: 4, stall_days_cross_border: 12,
        transit_windows: [{ country: "ES", carrier: "", min_days: 3, max_days: 5 }, { country: "MX", carrier: "Estafeta", min_days: 10, max_days: 20 }],
      },
    }]);

    routes["PUT /tracking-settings"] = new Error("transit_windows[1] repeats MX Estafeta");
    fireEvent.click(within(row(0)).getByRole("button", { name: "Remove window 1" }));
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("transit_windows[1] repeats MX Estafeta")).toBeTruthy();
    expect(writes("PUT")[1].body).toMatchObject({ transit_windows: [{ country: "MX", carrier: "Estafeta", min_days: 10, max_days: 20 }] });
  });

  it("turns Shopify's tracking off at once, keeping the rest as saved", async () => {
    routes["PUT /tracking-settings"] = (body: TrackingSettings) => body;
    renderPage(<StatusSources />);
    await screen.findByText("Transit windows");
    fireEvent.click(document.getElementById("shopify-tracking")!);
    await waitFor(() => expect(writes("PUT").map((c) => c.body)).toEqual([{ ...settings, shopify_tracking: false }]));
    await waitFor(() => expect((document.getElementById("shopify-tracking") as HTMLInputElement).checked).toBe(false));
  });
});
