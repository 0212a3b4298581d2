using System.Globalization;
using System.Text.Json;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Contract.Validation;

/// <summary>One event of a batch as read: either a well-formed event or the reason it is rejected.</summary>
public sealed class ReadEvent(ulong seq, TapEvent? tapEvent, ContractError? error)
{
    public ulong Seq { get; } = seq;
    public TapEvent? Event { get; } = tapEvent;
    public ContractError? Error { get; } = error;
    public bool IsValid => Error is null;
}

/// <summary>The outcome of reading an <c>evt</c> payload.</summary>
public sealed class BatchReadResult
{
    private BatchReadResult(ContractError? batchError, string device, IReadOnlyList<ReadEvent> events)
    {
        BatchError = batchError;
        Device = device;
        Events = events;
    }

    /// <summary>Set when the whole batch is rejected; then <see cref="Events"/> is empty.</summary>
    public ContractError? BatchError { get; }

    public string Device { get; }
    public IReadOnlyList<ReadEvent> Events { get; }
    public bool IsRejected => BatchError is not null;

    internal static BatchReadResult Rejected(ContractError error) => new(error, "", []);
    internal static BatchReadResult Read(string device, IReadOnlyList<ReadEvent> events) => new(null, device, events);
}

/// <summary>
/// Reads and checks an event batch against MQTT contract v1 (docs/contract.md §5), telling what rejects
/// the whole batch (cannot be trusted or read) from what rejects a single event.
/// Checks that need the registry (MAC, known device, known card) belong to the ingest.
/// </summary>
public static class BatchReader
{
    /// <summary>Largest accepted payload: 256 KiB.</summary>
    public const int MaxPayloadBytes = 256 * 1024;

    /// <summary>How far ahead of the ingest's clock an event's <c>at</c> may be.</summary>
    public static readonly TimeSpan MaxClockAhead = TimeSpan.FromMinutes(5);

    public static BatchReadResult Read(string topicDeviceId, ReadOnlySpan<byte> payload, DateTimeOffset now)
    {
        if (payload.Length > MaxPayloadBytes)
        {
            return Reject(ErrorCode.TooLarge, "$", $"batch of {payload.Length} bytes is over the limit of {MaxPayloadBytes} bytes (256 KiB)");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(payload.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            return Reject(ErrorCode.NotJson, "$", $"not JSON ({Trim(e.Message)})");
        }

        using (doc)
        {
            return ReadDocument(topicDeviceId, doc.RootElement, now);
        }
    }

    private static BatchReadResult ReadDocument(string topicDeviceId, JsonElement root, DateTimeOffset now)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Reject(ErrorCode.NotBatchShape, "$", $"expected an object {{\"device\", \"events\"}}, got {Describe(root.ValueKind)}");
        }

        if (!root.TryGetProperty("device", out JsonElement deviceEl))
        {
            return Reject(ErrorCode.NotBatchShape, "device", "missing");
        }

        if (deviceEl.ValueKind != JsonValueKind.String)
        {
            return Reject(ErrorCode.NotBatchShape, "device", $"expected a string, got {Describe(deviceEl.ValueKind)}");
        }

        string device = deviceEl.GetString()!;
        if (!string.Equals(device, topicDeviceId, StringComparison.Ordinal))
        {
            return Reject(ErrorCode.DeviceMismatch, "device", $"body names device '{device}' but was published on the topic of '{topicDeviceId}'");
        }

        if (!root.TryGetProperty("events", out JsonElement eventsEl))
        {
            return Reject(ErrorCode.NotBatchShape, "events", "missing");
        }

        if (eventsEl.ValueKind != JsonValueKind.Array)
        {
            return Reject(ErrorCode.NotBatchShape, "events", $"expected an array, got {Describe(eventsEl.ValueKind)}");
        }

        var events = new List<ReadEvent>(eventsEl.GetArrayLength());
        ulong previous = 0;
        int index = 0;
        foreach (JsonElement el in eventsEl.EnumerateArray())
        {
            string path = $"events[{index}]";
            if (el.ValueKind != JsonValueKind.Object)
            {
                return Reject(ErrorCode.NotBatchShape, path, $"expected an object, got {Describe(el.ValueKind)}");
            }

            // Without a readable seq the event cannot be acknowledged or de-duplicated, so the batch cannot be trusted.
            if (!el.TryGetProperty("seq", out JsonElement seqEl))
            {
                return Reject(ErrorCode.NotBatchShape, path + ".seq", "missing");
            }

            if (seqEl.ValueKind != JsonValueKind.Number || !seqEl.TryGetUInt64(out ulong seq))
            {
                return Reject(ErrorCode.NotBatchShape, path + ".seq", $"expected an unsigned 64-bit integer, got {Describe(seqEl)}");
            }

            if (index > 0 && seq <= previous)
            {
                return Reject(ErrorCode.SeqNotIncreasing, path + ".seq", $"seq {seq} does not increase on the previous event's seq {previous}");
            }

            previous = seq;
            events.Add(ReadEvent(el, seq, path, now));
            index++;
        }

        return BatchReadResult.Read(device, events);
    }

    private static ReadEvent ReadEvent(JsonElement el, ulong seq, string path, DateTimeOffset now)
    {
        try
        {
            return new ReadEvent(seq, ParseEvent(el, seq, path, now), null);
        }
        catch (EventProblem p)
        {
            return new ReadEvent(seq, null, p.Error);
        }
    }

    private static TapEvent ParseEvent(JsonElement el, ulong seq, string path, DateTimeOffset now)
    {
        string type = RequiredString(el, "type", path);
        if (!EventTypes.IsKnown(type))
        {
            throw Problem(ErrorCode.UnknownEventType, path + ".type", $"unknown event type '{type}' (expected one of {string.Join(", ", EventTypes.All)})");
        }

        string atText = RequiredString(el, "at", path);
        DateTimeOffset at = ParseAt(atText, path + ".at");
        if (at - now > MaxClockAhead)
        {
            throw Problem(ErrorCode.AtInFuture, path + ".at", $"{atText} is more than 5 minutes ahead of the ingest's clock ({now.ToString("O", CultureInfo.InvariantCulture)})");
        }

        var tap = new TapEvent { Seq = seq, Type = type, At = at, AtText = atText };

        bool isTripEnd = type == EventTypes.TripEnd;
        if (el.TryGetProperty("card", out JsonElement cardEl) && cardEl.ValueKind != JsonValueKind.Null)
        {
            tap.Card = ParseCard(cardEl, path + ".card");
        }
        else if (!isTripEnd)
        {
            throw Problem(ErrorCode.MissingField, path + ".card", $"missing (every {type} names its card)");
        }

        tap.Ctx = ParseContext(el, type, path);

        string? decision = OptionalString(el, "decision", path);
        if (decision is null && !isTripEnd)
        {
            throw Problem(ErrorCode.MissingField, path + ".decision", "missing");
        }

        decision ??= Decisions.Accept;
        if (decision is not (Decisions.Accept or Decisions.Deny))
        {
            throw Problem(ErrorCode.BadValue, path + ".decision", $"expected accept or deny, got '{decision}'");
        }

        tap.Decision = decision;
        tap.Reason = OptionalString(el, "reason", path);
        return tap;
    }

    private static CardRef ParseCard(JsonElement cardEl, string path)
    {
        if (cardEl.ValueKind != JsonValueKind.Object)
        {
            throw Problem(ErrorCode.MistypedField, path, $"expected an object {{\"tok\", \"tech\"}}, got {Describe(cardEl.ValueKind)}");
        }

        string tok = RequiredString(cardEl, "tok", path);
        if (!CardToken.IsWellFormed(tok))
        {
            throw Problem(ErrorCode.BadValue, path + ".tok", $"expected a card token of {CardToken.Length} base64url characters");
        }

        string tech = RequiredString(cardEl, "tech", path);
        if (!CardTechs.TryParse(tech, out _))
        {
            throw Problem(ErrorCode.BadValue, path + ".tech", $"unknown card tech '{tech}' (expected {string.Join(", ", CardTechs.All)})");
        }

        return new CardRef { Tok = tok, Tech = tech, Sun = ParseSun(cardEl, path + ".sun"), Jpki = ParseJpki(cardEl, path + ".jpki") };
    }

    private static CardSun? ParseSun(JsonElement cardEl, string path)
    {
        if (!cardEl.TryGetProperty("sun", out JsonElement sun) || sun.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (sun.ValueKind != JsonValueKind.Object)
        {
            throw Problem(ErrorCode.MistypedField, path, $"expected an object {{\"e\", \"c\"}}, got {Describe(sun.ValueKind)}");
        }

        return new CardSun
        {
            E = RequiredHex(sun, "e", path, CardSun.EncryptedHexLength),
            C = RequiredHex(sun, "c", path, CardSun.MacHexLength),
        };
    }

    private static CardJpki? ParseJpki(JsonElement cardEl, string path)
    {
        if (!cardEl.TryGetProperty("jpki", out JsonElement jpki) || jpki.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (jpki.ValueKind != JsonValueKind.Object)
        {
            throw Problem(ErrorCode.MistypedField, path, $"expected an object {{\"cert\", \"sig\"}}, got {Describe(jpki.ValueKind)}");
        }

        return new CardJpki
        {
            Cert = RequiredBase64(jpki, "cert", path, CardJpki.MaxCertificateBytes),
            Sig = RequiredBase64(jpki, "sig", path, CardJpki.MaxSignatureBytes),
        };
    }

    private static string RequiredBase64(JsonElement el, string name, string path, int maxBytes)
    {
        string text = RequiredString(el, name, path);
        int maxChars = (maxBytes + 2) / 3 * 4;
        if (text.Length == 0 || text.Length > maxChars)
        {
            throw Problem(ErrorCode.BadValue, path + "." + name, $"expected base64 of 1 to {maxBytes} bytes, got {text.Length} characters");
        }

        byte[] scratch = new byte[text.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64String(text, scratch, out _))
        {
            throw Problem(ErrorCode.BadValue, path + "." + name, "expected base64 (RFC 4648, with padding)");
        }

        return text;
    }

    private static string RequiredHex(JsonElement el, string name, string path, int hexDigits)
    {
        string text = RequiredString(el, name, path);
        if (text.Length != hexDigits || !text.All(char.IsAsciiHexDigit))
        {
            throw Problem(ErrorCode.BadValue, path + "." + name, $"expected {hexDigits} hex digits ({hexDigits / 2} bytes), got {text.Length} characters");
        }

        return text;
    }

    private static TapContext ParseContext(JsonElement el, string type, string path)
    {
        string ctxPath = path + ".ctx";
        if (!el.TryGetProperty("ctx", out JsonElement ctx) || ctx.ValueKind == JsonValueKind.Null)
        {
            throw Problem(ErrorCode.MissingField, ctxPath, $"missing (a {type} needs its context)");
        }

        if (ctx.ValueKind != JsonValueKind.Object)
        {
            throw Problem(ErrorCode.MistypedField, ctxPath, $"expected an object, got {Describe(ctx.ValueKind)}");
        }

        var c = new TapContext
        {
            Route = OptionalString(ctx, "route", ctxPath),
            Vehicle = OptionalString(ctx, "vehicle", ctxPath),
            Stop = OptionalString(ctx, "stop", ctxPath),
            Event = OptionalString(ctx, "event", ctxPath),
            Clinic = OptionalString(ctx, "clinic", ctxPath),
            Door = OptionalString(ctx, "door", ctxPath),
            Offline = OptionalBool(ctx, "offline", ctxPath),
            Queue = OptionalInt(ctx, "queue", ctxPath),
        };

        switch (type)
        {
            case EventTypes.Board or EventTypes.Alight:
                Require(c.Route, ctxPath + ".route");
                Require(c.Vehicle, ctxPath + ".vehicle");
                Require(c.Stop, ctxPath + ".stop");
                break;
            case EventTypes.TripEnd:
                Require(c.Vehicle, ctxPath + ".vehicle");
                break;
            case EventTypes.EventIn or EventTypes.EventOut:
                Require(c.Event, ctxPath + ".event");
                break;
            case EventTypes.ClinicCheckin:
                Require(c.Clinic, ctxPath + ".clinic");
                if (c.Queue is null)
                {
                    throw Problem(ErrorCode.MissingField, ctxPath + ".queue", "missing");
                }

                if (c.Queue < 1)
                {
                    throw Problem(ErrorCode.BadValue, ctxPath + ".queue", $"expected a queue number of 1 or more, got {c.Queue}");
                }

                break;
        }

        return c;
    }

    /// <summary>ISO 8601 with an explicit offset (Z or ±hh:mm); a local time without offset is refused.</summary>
    public static bool TryParseAt(string text, out DateTimeOffset at)
    {
        at = default;
        if (!HasOffset(text))
        {
            return false;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out at);
    }

    private static DateTimeOffset ParseAt(string text, string path)
    {
        int t = text.IndexOf('T', StringComparison.Ordinal);
        if (t < 0 || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            throw Problem(ErrorCode.BadValue, path, $"'{text}' is not an ISO 8601 date and time");
        }

        if (!TryParseAt(text, out DateTimeOffset at))
        {
            throw Problem(ErrorCode.AtWithoutOffset, path, $"'{text}' has no UTC offset (write e.g. 2026-11-26T08:00:00+09:00)");
        }

        return at;
    }

    private static bool HasOffset(string text)
    {
        int t = text.IndexOf('T', StringComparison.Ordinal);
        if (t < 0)
        {
            return false;
        }

        if (text.EndsWith('Z') || text.EndsWith('z'))
        {
            return true;
        }

        // ±hh:mm or ±hhmm after the time part.
        int sign = text.LastIndexOfAny(['+', '-']);
        return sign > t && text.Length - sign is 6 or 5;
    }

    private static void Require(string? value, string path)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw Problem(ErrorCode.MissingField, path, value is null ? "missing" : "empty");
        }
    }

    private static string RequiredString(JsonElement obj, string name, string path)
    {
        string? s = OptionalString(obj, name, path);
        if (s is null)
        {
            throw Problem(ErrorCode.MissingField, $"{path}.{name}", "missing");
        }

        return s;
    }

    private static string? OptionalString(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : throw Problem(ErrorCode.MistypedField, $"{path}.{name}", $"expected a string, got {Describe(v)}");
    }

    private static bool? OptionalBool(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Problem(ErrorCode.MistypedField, $"{path}.{name}", $"expected true or false, got {Describe(v)}"),
        };
    }

    private static int? OptionalInt(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i)
            ? i
            : throw Problem(ErrorCode.MistypedField, $"{path}.{name}", $"expected an integer, got {Describe(v)}");
    }

    private static BatchReadResult Reject(ErrorCode code, string field, string reason) =>
        BatchReadResult.Rejected(new ContractError(ErrorScope.Batch, code, field, reason));

    private static EventProblem Problem(ErrorCode code, string field, string reason) =>
        new(new ContractError(ErrorScope.Event, code, field, reason));

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Describe(JsonElement v) => v.ValueKind == JsonValueKind.Number ? $"the number {v.GetRawText()}" : Describe(v.ValueKind);

    private static string Trim(string message)
    {
        int lineInfo = message.IndexOf(" LineNumber", StringComparison.Ordinal);
        return lineInfo > 0 ? message[..lineInfo].TrimEnd('.', ' ') : message;
    }

    private sealed class EventProblem(ContractError error) : Exception(error.ToString())
    {
        public ContractError Error { get; } = error;
    }
}
