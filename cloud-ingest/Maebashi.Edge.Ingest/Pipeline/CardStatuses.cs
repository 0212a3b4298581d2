using System.Text.Json;
using System.Text.Json.Serialization;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>A card's status set at run time, which overrides the registry export (docs/contract.md §6.2).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CardRunStatus>))]
public enum CardRunStatus
{
    /// <summary>Reported lost by its holder (My Page) or by an operator: denied until an admin clears it.</summary>
    Lost,

    /// <summary>A read of the card gave a clone signal (docs/contract.md §2): denied until an admin clears it.</summary>
    Clone,
}

/// <summary>One card's run-time status and when it was set.</summary>
public sealed record CardStatusEntry(string Token, CardRunStatus Status, DateTimeOffset At);

/// <summary>What setting or clearing a card's status did: whether anything changed, and the deny-list version now in force.</summary>
public sealed record CardStatusOutcome(bool Changed, long DenyVersion);

/// <summary>
/// The run-time card statuses, kept in the store's meta under one key and written in the same unit as the deny
/// version they change, so that a restart (or a reload of the registry export) finds both or neither. At most
/// <see cref="MaxEntries"/> cards: the store keeps them as one document.
/// </summary>
internal static class CardStatuses
{
    public const string MetaKey = SharedStateKeys.CardStatuses;

    /// <summary>Far above the lost cards a city of 330,000 holds at once; a document of this many stays a few MB.</summary>
    public const int MaxEntries = 100_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Dictionary<string, CardStatusEntry> Read(string? stored) =>
        string.IsNullOrEmpty(stored)
            ? new Dictionary<string, CardStatusEntry>(StringComparer.Ordinal)
            : (JsonSerializer.Deserialize<List<CardStatusEntry>>(stored, Json) ?? []).ToDictionary(e => e.Token, StringComparer.Ordinal);

    public static void Write(IIngestWrite w, IReadOnlyDictionary<string, CardStatusEntry> entries) =>
        w.SetMeta(MetaKey, JsonSerializer.Serialize(entries.Values.OrderBy(e => e.Token, StringComparer.Ordinal).ToList(), Json));
}
