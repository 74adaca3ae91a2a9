import { AppProvider } from "@shopify/polaris";
import en from "@shopify/polaris/locales/en.json";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { I18nProvider } from "./i18n";
import { href } from "./router";
import { Loaded, type Async } from "./ui";

afterEach(cleanup);

const wrap = (state: Async<string>) =>
  render(
    <AppProvider i18n={en}>
      <I18nProvider locale="es">
        <Loaded state={state}>{(d) => <p>content: {d}</p>}</Loaded>
      </I18nProvider>
    </AppProvider>,
  );

describe("Loaded", () => {
  it("shows loading, then the content", () => {
    wrap({ loading: true, reload: () => {} });
    expect(screen.getAllByText("Cargando…").length).toBeGreaterThan(0);
    cleanup();
    wrap({ loading: false, data: "hola", reload: () => {} });
    expect(screen.getByText("content: hola")).toBeTruthy();
  });
  it("shows the error in a sentence, with a retry that reloads", () => {
    const reload = vi.fn();
    wrap({ loading: false, error: "Shopify no responde", reload });
    expect(screen.getByText("Shopify no responde")).toBeTruthy();
    expect(screen.getByText("Algo salió mal")).toBeTruthy();
    fireEvent.click(screen.getByText("Reintentar"));
    expect(reload).toHaveBeenCalledOnce();
  });
});

describe("router links", () => {
  it("keep Shopify's parameters and add the page's own", () => {
    window.history.replaceState(null, "", "/?shop=acme.myshopify.com&host=abc&id_token=tok&locale=es&other=drop");
    expect(href("/shipments?state=failed")).toBe("/shipments?shop=acme.myshopify.com&host=abc&id_token=tok&locale=es&state=failed");
  });
});
