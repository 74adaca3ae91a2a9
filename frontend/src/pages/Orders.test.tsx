import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { answering, renderPage, type Call } from "../test-utils";
import type { AwaitingPage } from "../types";
import { Orders } from "./Orders";

const apiDouble = vi.hoisted(() => ({ fn: (async () => undefined) as (path: string, init?: RequestInit) => Promise<unknown> }));
vi.mock("../api", () => ({ api: (path: string, init?: RequestInit) => apiDouble.fn(path, init) }));

let calls: Call[];
const page: AwaitingPage = {
  total: 2, page: 1, per_page: 50,
  orders: [
    { id: 1, name: "#1002", created_at: "2026-11-21T10:00:00Z", age_days: 10, shipping_country: "MX", fulfilled: true,
      line_items: [{ id: 11, sku: "MUG-01", title: "Taza", quantity: 3, fulfillable_quantity: 2, supplier: "Proveedor Shenzhen" },
        { id: 12, sku: "LAMP-7", title: "Lámpara", quantity: 1, fulfillable_quantity: 1, supplier: "" }] },
    { id: 2, name: "#1003", created_at: "2026-12-01T08:00:00Z", age_days: 0, shipping_country: "ES", fulfilled: false,
      line_items: [{ id: 21, sku: "MUG-01", title: "Taza", quantity: 1, fulfillable_quantity: 1, supplier: "" }] },
  ],
};
let routes: Record<string, unknown>;

beforeEach(() => {
  calls = [];
  routes = {
    "GET /orders/awaiting": page,
    "GET /orders/awaiting?page=2": { ...page, page: 2, orders: [] },
    "GET /carriers/detect?number=1Z999AA10123456784": { number: "1Z999AA10123456784", carrier: "UPS", tracking_url: "https://www.ups.com/track?tracknum=1Z999AA10123456784", candidates: [] },
    "POST /shipments": { results: [{ index: 0, status: "accepted", shipment_id: "s1" }] },
  };
  apiDouble.fn = ((path: string, init?: RequestInit) => answering(routes, calls)(path, init)) as typeof apiDouble.fn;
});
afterEach(cleanup);

describe("orders awaiting tracking", () => {
  it("lists the orders in Spanish, oldest first, with age, quantities, destination and supplier", async () => {
    renderPage(<Orders />, "es", "/orders?id_token=tok");
    expect(await screen.findByText("#1002")).toBeTruthy();
    expect(screen.getByText("2 pedidos esperando")).toBeTruthy();
    expect(screen.getByText("hace 10 días")).toBeTruthy();
    expect(screen.getByText("hoy")).toBeTruthy();
    expect(screen.getByText("3 × Taza (faltan 2)", { exact: false })).toBeTruthy();
    expect(screen.getByText("1 × Lámpara", { exact: false })).toBeTruthy();
    expect(screen.getByText("México", { exact: false })).toBeTruthy();
    expect(screen.getByText("Proveedor Shenzhen", { exact: false })).toBeTruthy();
    expect(screen.getByText("Preparado en parte")).toBeTruthy();
    const names = screen.getAllByRole("heading", { level: 3 }).map((h) => h.textContent);
    expect(names).toEqual(["#1002", "#1003"]);
  });

  it("pre-fills the detected carrier and submits number, carrier, items and quantities", async () => {
    renderPage(<Orders />, "es", "/orders?id_token=tok");
    fireEvent.click(await screen.findByLabelText("Añadir seguimiento #1002"));
    fireEvent.change(screen.getAllByLabelText("Número de seguimiento")[0], { target: { value: "1Z999AA10123456784" } });
    await waitFor(() => expect((screen.getAllByLabelText("Transportista")[0] as HTMLInputElement).value).toBe("UPS"));
    expect(calls.some((c) => c.path === "/carriers/detect?number=1Z999AA10123456784")).toBe(true);
    // Everything unfulfilled by default: 2 mugs, 1 lamp; ship one mug only.
    expect((screen.getByLabelText("Cantidad de MUG-01 (hasta 2)") as HTMLInputElement).value).toBe("2");
    expect((screen.getByLabelText("Cantidad de LAMP-7 (hasta 1)") as HTMLInputElement).value).toBe("1");
    fireEvent.change(screen.getByLabelText("Cantidad de MUG-01 (hasta 2)"), { target: { value: "1" } });
    fireEvent.change(screen.getByLabelText("Cantidad de LAMP-7 (hasta 1)"), { target: { value: "0" } });
    fireEvent.click(screen.getByLabelText("Añadir número de seguimiento #1002"));
    expect(await screen.findByText("Número añadido: va camino de Shopify.")).toBeTruthy();
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.path).toBe("/shipments");
    expect(post.body).toEqual([{ order: "#1002", tracking_number: "1Z999AA10123456784", carrier: "UPS", line_items: [{ line_item_id: 11, quantity: 1 }] }]);
  });

  it("keeps a carrier the merchant typed, and says why a number was refused", async () => {
    routes["POST /shipments"] = { results: [{ index: 0, status: "rejected", error: "tracking_number \"X\" is not a tracking number",
      error_code: "tracking_number_invalid", error_params: { value: "X" } }] };
    renderPage(<Orders />, "es", "/orders?id_token=tok");
    fireEvent.click(await screen.findByLabelText("Añadir seguimiento #1003"));
    fireEvent.change(screen.getAllByLabelText("Transportista")[0], { target: { value: "Estafeta" } });
    fireEvent.change(screen.getAllByLabelText("Número de seguimiento")[0], { target: { value: "1Z999AA10123456784" } });
    await waitFor(() => expect(calls.some((c) => c.path.startsWith("/carriers/detect"))).toBe(true));
    expect((screen.getAllByLabelText("Transportista")[0] as HTMLInputElement).value).toBe("Estafeta");
    fireEvent.click(screen.getByLabelText("Añadir número de seguimiento #1003"));
    // In Spanish, from the code — never the server's English sentence.
    expect(await screen.findByText("No se añadió: «X» no es un número de seguimiento: de 4 a 60 letras, cifras o guiones.")).toBeTruthy();
    expect(calls.find((c) => c.method === "POST")!.body).toEqual([{ order: "#1003", tracking_number: "1Z999AA10123456784", carrier: "Estafeta", line_items: [{ line_item_id: 21, quantity: 1 }] }]);
  });

  it("asks for a number before sending, in Spanish", async () => {
    renderPage(<Orders />, "es", "/orders?id_token=tok");
    fireEvent.click(await screen.findByLabelText("Añadir seguimiento #1003"));
    fireEvent.click(screen.getByLabelText("Añadir número de seguimiento #1003"));
    expect(await screen.findByText("Escribe el número de seguimiento.")).toBeTruthy();
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("pages through the list", async () => {
    routes["GET /orders/awaiting"] = { ...page, total: 60 };
    renderPage(<Orders />, "en", "/orders?id_token=tok");
    expect(await screen.findByText("Page 1 of 2")).toBeTruthy();
    expect(screen.getByText("10 days ago")).toBeTruthy();
    fireEvent.click(screen.getByText("Next"));
    await waitFor(() => expect(calls.some((c) => c.path === "/orders/awaiting?page=2")).toBe(true));
  });

  it("adds a number to an order already fulfilled, by its name", async () => {
    renderPage(<Orders />, "en", "/orders?id_token=tok");
    await screen.findByText("#1002");
    fireEvent.change(screen.getByLabelText("Order number"), { target: { value: "#1001" } });
    fireEvent.change(screen.getAllByLabelText("Tracking number").at(-1)!, { target: { value: "1Z999AA10123456784" } });
    await waitFor(() => expect((screen.getAllByLabelText("Carrier").at(-1) as HTMLInputElement).value).toBe("UPS"));
    fireEvent.click(screen.getByText("Add tracking number"));
    expect(await screen.findByText("Tracking number added: it is on its way to Shopify.")).toBeTruthy();
    expect(calls.find((c) => c.method === "POST")!.body).toEqual([{ order: "#1001", tracking_number: "1Z999AA10123456784", carrier: "UPS" }]);
  });
});
