using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Terminal;

/// <summary>JSON of what the terminal keeps on its own disk, with the wire contract's conventions.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(TapEvent))]
[JsonSerializable(typeof(SeqReserveFile))]
internal sealed partial class TerminalJsonContext : JsonSerializerContext
{
    private static TerminalJsonContext? _relaxed;

    public static TerminalJsonContext Relaxed => _relaxed ??= new TerminalJsonContext(new JsonSerializerOptions(Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary>The copy of the sequence reservation kept beside the ledger.</summary>
internal sealed class SeqReserveFile
{
    public ulong ReservedUpTo { get; set; }
}

internal static class TerminalJson
{
    public static string Serialize(TapEvent e) => JsonSerializer.Serialize(e, TerminalJsonContext.Relaxed.TapEvent);

    public static TapEvent ParseEvent(string json) =>
        JsonSerializer.Deserialize(json, TerminalJsonContext.Relaxed.TapEvent) ?? throw new FormatException("ledger entry: null event");
}
