import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { renderPage } from "../test-utils";
import type { ImportPreview, ImportReport } from "../types";
import { Import } from "./Import";

const uploads = vi.hoisted(() => ({ calls: [] as string[], answers: {} as Record<string, unknown> }));
vi.mock("../api", () => ({
  api: async () => ({ shipment: { state: "synced" } }),
  upload: async (path: string) => {
    uploads.calls.push(path);
    return JSON.parse(JSON.stringify(uploads.answers[path]));
  },
}));

// What the server answers for a Shopify order export with a tracking column
// added, one order on three rows, and a column it does not read.
const preview: ImportPreview = {
  dry_run: true, format: "shopify_orders_export", encoding: "utf-8",
  columns: [
    { header: "Name", field: "order" }, { header: "Lineitem quantity", field: "quantity" }, { header: "Lineitem sku", field: "sku" },
    { header: "Número de seguimiento", field: "tracking_number" }, { header: "Email", field: "" }, { header: "Guía interna", field: "" },
  ],
  rows: 3, shipments: 1, rejected: 0,
  sample: [{ lines: [2, 3, 4], order: "#1010", tracking_number: "RB123456785ES", line_items: [
    { sku: "MUG-01", quantity: 2 }, { sku: "LAMP-7", quantity: 1 }, { sku: "TEE-M", quantity: 3 }] }],
  problems: [{ code: "tracking_column_not_recognised", header: "Guía interna" }],
};
const report: ImportReport = {
  rows: [2, 3, 4].map((line) => ({ line, order: "#1010", tracking_number: "RB123456785ES", status: "accepted" as const, shipment_id: "s1" })),
  accepted: 3, duplicate: 0, rejected: 0, encoding: "utf-8",
};

// Polaris' DropZone watches its size; jsdom has no ResizeObserver.
class NoResize {
  observe() {}
  unobserve() {}
  disconnect() {}
}

beforeEach(() => {
  vi.stubGlobal("ResizeObserver", NoResize);
  uploads.calls = [];
  uploads.answers = { "/imports?dry_run=true": preview, "/imports": report };
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const choose = () => {
  const input = document.querySelector('input[type="file"]') as HTMLInputElement;
  const file = new File(["Name,Lineitem sku\n"], "pedidos.csv", { type: "text/csv" });
  fireEvent.change(input, { target: { files: [file] } });
};

describe("import page", () => {
  it("shows in Spanish how each column was understood before importing", async () => {
    renderPage(<Import />, "es");
    // The drop zone's hint is said once.
    expect(screen.getAllByText("Suelta un CSV aquí o haz clic para elegirlo")).toHaveLength(1);
    choose();
    expect(await screen.findByText("Cómo entendió Waybill pedidos.csv")).toBeTruthy();
    expect(uploads.calls).toEqual(["/imports?dry_run=true"]);
    expect(screen.getByText(/^Formato: Exportación de pedidos de Shopify/)).toBeTruthy();
    // The mapping table: each header's row says what it is read as.
    const understood = (header: string) =>
      screen.getAllByText(header).map((el) => el.closest("tr")?.querySelector("[data-field]")).find(Boolean)?.textContent;
    expect(understood("Name")).toBe("Pedido");
    expect(understood("Lineitem quantity")).toBe("Cantidad");
    expect(understood("Número de seguimiento")).toBe("Número de seguimiento");
    expect(understood("Email")).toBe("No se lee");
    expect(screen.getByText("3 filas forman 1 paquetes.")).toBeTruthy();
    expect(screen.getByText("«Guía interna» parece una columna de seguimiento, pero Waybill no la lee. Si contiene los números de seguimiento, cámbiale el nombre a tracking_number.")).toBeTruthy();
    expect(screen.getByText("MUG-01 × 2, LAMP-7 × 1, TEE-M × 3")).toBeTruthy();
    expect(screen.getByText("Según el número")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Importar 3 filas" }));
    await waitFor(() => expect(uploads.calls).toEqual(["/imports?dry_run=true", "/imports"]));
    expect(await screen.findByText("Aceptadas: 3 · Duplicadas: 0 · Rechazadas: 0")).toBeTruthy();
    expect(screen.queryByText("Cómo entendió Waybill pedidos.csv")).toBeNull();
  });

  it("does not offer to import a file without a tracking number column, and says which column looks like one", async () => {
    uploads.answers["/imports?dry_run=true"] = {
      ...preview, format: "generic", shipments: 0, sample: [],
      columns: [{ header: "Pedido", field: "order" }, { header: "Guía DHL", field: "" }],
      problems: [{ code: "tracking_column_not_recognised", header: "Guía DHL" }, { code: "missing_column", field: "tracking_number", header: "Guía DHL" }],
    };
    renderPage(<Import />, "es");
    choose();
    expect(await screen.findByText("El archivo no tiene columna de Número de seguimiento. «Guía DHL» parece serlo: cámbiale el nombre a tracking_number y vuelve a elegir el archivo.")).toBeTruthy();
    expect(screen.getByText("Formato: Columnas reconocidas por su nombre")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Importar/ })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Elegir otro archivo" }));
    expect(screen.queryByText(/Cómo entendió Waybill/)).toBeNull();
    expect(uploads.calls).toEqual(["/imports?dry_run=true"]);
  });
});
