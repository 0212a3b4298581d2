using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Contract.Messages;

/// <summary>
/// System.Text.Json source generation for every message and the registry: camelCase names,
/// nulls omitted, UTF-8 Japanese text written as is.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(EventBatch))]
[JsonSerializable(typeof(Ack))]
[JsonSerializable(typeof(DeviceConfig))]
[JsonSerializable(typeof(DenyList))]
[JsonSerializable(typeof(DeviceStatus))]
[JsonSerializable(typeof(RegistryDocument))]
[JsonSerializable(typeof(DateTimeOffset))]
public sealed partial class ContractJsonContext : JsonSerializerContext
{
    private static ContractJsonContext? _wire;

    /// <summary>The context with an encoder that leaves Japanese text readable.</summary>
    public static ContractJsonContext Wire => _wire ??= new ContractJsonContext(new JsonSerializerOptions(Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary>Serialise and parse contract messages in one place.</summary>
public static class ContractJson
{
    public static byte[] Serialize(EventBatch batch) => JsonSerializer.SerializeToUtf8Bytes(batch, ContractJsonContext.Wire.EventBatch);
    public static byte[] Serialize(Ack ack) => JsonSerializer.SerializeToUtf8Bytes(ack, ContractJsonContext.Wire.Ack);
    public static byte[] Serialize(DeviceConfig cfg) => JsonSerializer.SerializeToUtf8Bytes(cfg, ContractJsonContext.Wire.DeviceConfig);
    public static byte[] Serialize(DenyList deny) => JsonSerializer.SerializeToUtf8Bytes(deny, ContractJsonContext.Wire.DenyList);
    public static byte[] Serialize(DeviceStatus status) => JsonSerializer.SerializeToUtf8Bytes(status, ContractJsonContext.Wire.DeviceStatus);

    /// <summary>
    /// The text of an event's <c>at</c> exactly as <see cref="Serialize(EventBatch)"/> writes it (the JSON string's
    /// value): what a My Number card signs in <see cref="CardJpki.SignedMessage"/>, and what the batch reader gives
    /// back as <see cref="TapEvent.AtText"/>. Written by the same converter as the batch, so the two cannot drift.
    /// </summary>
    public static string AtText(DateTimeOffset at)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(at, ContractJsonContext.Wire.DateTimeOffset);
        var reader = new Utf8JsonReader(json);
        reader.Read();
        return reader.GetString()!;
    }

    /// <summary>Parses an ack; throws <see cref="ContractFormatException"/> naming what is wrong.</summary>
    public static Ack ParseAck(ReadOnlySpan<byte> json) => Parse(json, ContractJsonContext.Wire.Ack, "ack");

    public static DeviceConfig ParseConfig(ReadOnlySpan<byte> json)
    {
        RequireProperties(json, "cfg", "version", "role");
        DeviceConfig cfg = Parse(json, ContractJsonContext.Wire.DeviceConfig, "cfg");
        if (string.IsNullOrEmpty(cfg.Role) || !DeviceRoles.IsKnown(cfg.Role))
        {
            throw new ContractFormatException("cfg", $"role: expected bus, event or clinic, got '{cfg.Role}'");
        }

        return cfg;
    }

    public static DenyList ParseDeny(ReadOnlySpan<byte> json)
    {
        // A deny list without its tokens must not read as an empty list: that would clear every denial.
        RequireProperties(json, "deny", "version", "tokens");
        DenyList deny = Parse(json, ContractJsonContext.Wire.DenyList, "deny");
        if (deny.Tokens is null)
        {
            throw new ContractFormatException("deny", "tokens: missing");
        }

        return deny;
    }

    public static DeviceStatus ParseStatus(ReadOnlySpan<byte> json) => Parse(json, ContractJsonContext.Wire.DeviceStatus, "status");

    private static T Parse<T>(ReadOnlySpan<byte> json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, info) ?? throw new ContractFormatException(what, "body is null");
        }
        catch (JsonException e)
        {
            throw new ContractFormatException(what, $"{e.Path ?? "$"}: {FirstSentence(e.Message)}");
        }
    }

    /// <summary>Top-level properties a message must carry; defaults would otherwise stand in for them silently.</summary>
    private static void RequireProperties(ReadOnlySpan<byte> json, string what, params string[] names)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ContractFormatException(what, "$: expected an object");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                seen.Add(reader.GetString()!);
                reader.Read();
                reader.Skip();
            }

            foreach (string name in names)
            {
                if (!seen.Contains(name))
                {
                    throw new ContractFormatException(what, $"{name}: missing");
                }
            }
        }
        catch (JsonException e)
        {
            throw new ContractFormatException(what, $"not JSON ({FirstSentence(e.Message)})");
        }
    }

    private static string FirstSentence(string message)
    {
        int dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? message[..dot] : message;
    }
}

/// <summary>A contract message that could not be read; the message names the message and the field.</summary>
public sealed class ContractFormatException(string what, string problem) : FormatException($"{what}: {problem}")
{
    public string What { get; } = what;
    public string Problem { get; } = problem;
}
