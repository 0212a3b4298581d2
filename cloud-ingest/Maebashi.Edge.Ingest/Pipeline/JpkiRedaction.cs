using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>
/// Takes My Number cards' proofs out of a payload before it is quarantined: no certificate and no signature is kept
/// anywhere in the cloud (docs/contract.md §2 "My Number card"). Every property named <c>jpki</c>, at any depth, is
/// replaced by <see cref="Redacted"/>; a payload that is not JSON, and may hide one, is replaced whole.
/// </summary>
internal static class JpkiRedaction
{
    /// <summary>What stands in for a <c>jpki</c> value in a quarantined payload.</summary>
    public const string Redacted = "redacted";

    /// <summary>What is kept of a payload that is not JSON and may carry a proof.</summary>
    public static readonly byte[] UnreadablePayload = Encoding.UTF8.GetBytes(
        "(not JSON; not kept because it may carry a My Number card's certificate or signature / JSONでないため保存しません)");

    /// <summary>The payload as it may be stored: unchanged when it carries no <c>jpki</c>.</summary>
    public static byte[] Redact(ReadOnlySpan<byte> payload)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(payload, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            return MayHideProof(payload) ? UnreadablePayload : payload.ToArray();
        }

        return root is not null && Redact(root) ? Encoding.UTF8.GetBytes(root.ToJsonString()) : payload.ToArray();
    }

    private static bool Redact(JsonNode node)
    {
        bool changed = false;
        switch (node)
        {
            case JsonObject o:
                foreach (string name in o.Select(p => p.Key).ToList())
                {
                    if (name.Equals("jpki", StringComparison.OrdinalIgnoreCase))
                    {
                        o[name] = Redacted;
                        changed = true;
                    }
                    else if (o[name] is { } child)
                    {
                        changed |= Redact(child);
                    }
                }

                break;
            case JsonArray a:
                foreach (JsonNode? child in a)
                {
                    if (child is not null)
                    {
                        changed |= Redact(child);
                    }
                }

                break;
        }

        return changed;
    }

    /// <summary>Bytes that are not JSON could still be read by a lenient eye: any mention of jpki, or an escape that could spell it.</summary>
    private static bool MayHideProof(ReadOnlySpan<byte> payload) =>
        payload.IndexOf("\\u"u8) >= 0 || Encoding.UTF8.GetString(payload).Contains("jpki", StringComparison.OrdinalIgnoreCase);
}
