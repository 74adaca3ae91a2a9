import { AppProvider } from "@shopify/polaris";
import es from "@shopify/polaris/locales/es.json";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { I18nProvider } from "./i18n";
import { Suppliers } from "./pages/Suppliers";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("i18n context", () => {
  it("renders a page in Spanish from the provider's locale, with no t prop", async () => {
    window.history.replaceState(null, "", "/suppliers?id_token=tok&locale=es");
    const fetch = vi.fn(async () => new Response(JSON.stringify({ api_keys: [] }), { status: 200, headers: { "Content-Type": "application/json" } }));
    vi.stubGlobal("fetch", fetch);
    render(
      <AppProvider i18n={es}>
        <I18nProvider locale="es">
          <Suppliers />
        </I18nProvider>
      </AppProvider>,
    );
    expect(screen.getByText("Proveedores")).toBeTruthy();
    expect(screen.getByText("Crear clave")).toBeTruthy();
    expect(await screen.findByText("Aún no hay claves.")).toBeTruthy();
    expect(screen.queryByText("Suppliers")).toBeNull();
    expect(fetch).toHaveBeenCalledWith("/api/admin/api-keys", expect.anything());
  });
});
