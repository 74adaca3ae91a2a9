import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { answering, renderPage, type Call } from "../test-utils";
import type { Shipment, ShipmentList } from "../types";
import { Shipments } from "./Shipments";

const apiDouble = vi.hoisted(() => ({ fn: (async () => undefined) as (path: string, init?: RequestInit) => Promise<unknown> }));
vi.mock("../api", () => ({ api: (path: string, init?: RequestInit) => apiDouble.fn(path, init) }));

let calls: Call[];
const base: Shipment = {
  id: "s1", order_id: 1, order_name: "#1001", order_ref: "#1001", tracking_number: "RB1", carrier: "Correos", tracking_url: "",
  source: "api", state: "synced", state_reason: "", status: "in_transit", created_at: "2026-12-01T10:00:00Z",
};
const list: ShipmentList = {
  shipments: [base, { ...base, id: "s2", order_name: "#1002", tracking_number: "RB2", stalled_at: "2026-12-08T10:00:00Z", stalled_reason: "no_events" }],
  total: 2, page: 1, per_page: 50,
};

beforeEach(() => {
  calls = [];
  // any query of the list answers the same page
  apiDouble.fn = (async (path: string, init?: RequestInit) =>
    answering({ [`GET ${path}`]: list }, calls)(path, init)) as typeof apiDouble.fn;
});
afterEach(cleanup);

const lastListQuery = () => calls.filter((c) => c.path.startsWith("/shipments")).at(-1)!.path;

describe("shipments list", () => {
  it("filters by parcel status and by stalled, through the query", async () => {
    renderPage(<Shipments />, "en", "/shipments?id_token=tok");
    await screen.findByText("#1002");
    expect(lastListQuery()).toBe("/shipments");

    fireEvent.change(screen.getByLabelText("Parcel status"), { target: { value: "in_transit" } });
    await waitFor(() => expect(lastListQuery()).toBe("/shipments?status=in_transit"));
    expect(window.location.search).toContain("status=in_transit");
    expect(window.location.search).toContain("id_token=tok");

    fireEvent.click(screen.getByLabelText("Stalled only"));
    await waitFor(() => expect(lastListQuery()).toBe("/shipments?status=in_transit&stalled=true"));
    expect((screen.getByLabelText("Stalled only") as HTMLInputElement).checked).toBe(true);

    fireEvent.click(screen.getByLabelText("Stalled only"));
    await waitFor(() => expect(lastListQuery()).toBe("/shipments?status=in_transit"));
  });

  it("reads the stalled filter from the URL (the dashboard's link)", async () => {
    renderPage(<Shipments />, "es", "/shipments?id_token=tok&stalled=true");
    await screen.findByText("#1002");
    expect(lastListQuery()).toBe("/shipments?stalled=true");
    expect((screen.getByLabelText("Solo estancados") as HTMLInputElement).checked).toBe(true);
  });

  it("shows each parcel's status in words and marks the stalled rows", async () => {
    const { container } = renderPage(<Shipments />, "es", "/shipments?id_token=tok");
    await screen.findByText("#1002");
    const badges = [...container.querySelectorAll("tbody .Polaris-Badge")].map((b) => b.textContent);
    expect(badges.filter((b) => b?.includes("En tránsito")).length).toBe(2);
    expect(badges.filter((b) => b?.includes("Estancado")).length).toBe(1);
    const marked = [...container.querySelectorAll("[data-stalled]")].map((e) => e.textContent);
    expect(marked).toEqual(["⚠ #1002"]);
    // the filter offers every parcel status, in Spanish
    const options = [...(screen.getByLabelText("Estado del paquete") as HTMLSelectElement).options].map((o) => o.textContent);
    expect(options).toEqual(["Todos", "Pendiente", "Enviado", "Datos recibidos", "En tránsito", "En reparto", "Listo para recoger",
      "Intento de entrega", "Entregado", "Incidencia", "Seguimiento caducado"]);
  });
});
