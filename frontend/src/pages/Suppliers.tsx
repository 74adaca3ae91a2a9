import { Badge, Banner, BlockStack, Button, Card, DataTable, InlineStack, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import { api } from "../api";
import { useI18n } from "../i18n";
import type { ApiKeyCreate, ApiKeyList, CreatedApiKey } from "../types";
import { Empty, Loaded, date, errorText, toast, useApi } from "../ui";

export function Suppliers() {
  const { t } = useI18n();
  const keys = useApi<ApiKeyList>("/api-keys");
  const [name, setName] = useState("");
  const [created, setCreated] = useState<CreatedApiKey>();
  const [error, setError] = useState<string>();
  const create = async () => {
    try {
      setError(undefined);
      const body: ApiKeyCreate = { name };
      setCreated(await api<CreatedApiKey>("/api-keys", { method: "POST", body: JSON.stringify(body) }));
      setName("");
      toast(t("shell.sup.createdToast"));
      keys.reload();
    } catch (e) {
      setError(errorText(t, e));
    }
  };
  const revoke = async (id: string, keyName: string) => {
    try {
      setError(undefined);
      await api(`/api-keys/${id}`, { method: "DELETE" });
      toast(t("shell.sup.revokedToast", { name: keyName || "—" }));
    } catch (e) {
      setError(errorText(t, e));
    }
    keys.reload();
  };
  const curl = created &&
    `curl -X POST ${created.endpoint} \\\n  -H "Authorization: Bearer ${created.key}" \\\n  -H "Content-Type: application/json" \\\n  -d '{"order": "#1001", "tracking_number": "RB123456785ES"}'`;
  return (
    <BlockStack gap="400">
      <Text as="h1" variant="headingXl">{t("sup.title")}</Text>
      <Text as="p">{t("sup.help")}</Text>
      {error && <Banner tone="critical" title={t("error.title")}>{error}</Banner>}
      <Card>
        <InlineStack gap="200" blockAlign="end">
          <TextField label={t("sup.name")} value={name} onChange={setName} autoComplete="off" />
          <Button variant="primary" onClick={create}>{t("sup.create")}</Button>
        </InlineStack>
      </Card>
      {created && (
        <Banner tone="success" title={t("sup.once")} onDismiss={() => setCreated(undefined)}>
          <BlockStack gap="200">
            <TextField label="" labelHidden value={created.key} readOnly autoComplete="off" selectTextOnFocus />
            <Text as="p" variant="headingSm">{t("sup.example")}</Text>
            <TextField label="" labelHidden value={curl!} readOnly multiline={4} autoComplete="off" selectTextOnFocus monospaced />
          </BlockStack>
        </Banner>
      )}
      <Loaded state={keys}>
        {(d) =>
          d.api_keys.length === 0 ? (
            <Empty heading={t("sup.empty")} />
          ) : (
            <Card padding="0">
              <DataTable
                columnContentTypes={["text", "text", "text", "text", "text"]}
                headings={[t("sup.name"), t("shell.sup.key"), t("shell.sup.created"), t("sup.lastUsed"), ""]}
                rows={d.api_keys.map((k) => [
                  k.name || "—", `${k.prefix}…`, date(k.created_at), k.last_used_at ? date(k.last_used_at) : t("sup.never"),
                  k.revoked_at ? <Badge>{t("sup.revoked")}</Badge> : <Button tone="critical" variant="plain" onClick={() => revoke(k.id, k.name)}>{t("sup.revoke")}</Button>,
                ])}
              />
            </Card>
          )
        }
      </Loaded>
    </BlockStack>
  );
}
