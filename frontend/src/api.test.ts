import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError } from "./api";

// A refusal the backend says as a code reaches the merchant in their
// language; one without a code keeps the backend's sentence.
describe("api refusals", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    window.history.replaceState(null, "", "/");
  });
  const answer = (status: number, body: unknown) =>
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } })));

  it("says a coded refusal in Spanish, with its field", async () => {
    window.history.replaceState(null, "", "/channels?id_token=tok&locale=es");
    answer(400, { error: "invalid", message: "contact.whatsapp must be a phone number (with its country code: +34 612 345 678)",
      message_code: "phone_field_invalid", params: { field: "contact.whatsapp" } });
    const err = (await api("/texts/settings", { method: "PUT", body: "{}" }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe("El campo número de WhatsApp no es un número de teléfono: escríbelo con su prefijo de país (+34 612 345 678).");
    expect(err.status).toBe(400);
  });

  it("keeps the backend's sentence when there is no code, or one this admin does not know", async () => {
    window.history.replaceState(null, "", "/channels?id_token=tok&locale=es");
    answer(409, { error: "conflict", message: "the channel was replaced meanwhile: reload" });
    expect(((await api("/channels", { method: "POST", body: "{}" }).catch((e: unknown) => e)) as ApiError).message).toBe("the channel was replaced meanwhile: reload");
    answer(400, { error: "invalid", message: "something new", message_code: "from_a_newer_backend" });
    expect(((await api("/channels", { method: "POST", body: "{}" }).catch((e: unknown) => e)) as ApiError).message).toBe("something new");
  });
});
