using System.Runtime.CompilerServices;

namespace Maebashi.Edge.Contract.Registry;

/// <summary>
/// An origin–destination fare table indexed for lookup (routes of kind <c>table</c>, docs/contract.md §3.1). The
/// ingest charges with it and the terminal shows the provisional fare with it: one lookup, so the two cannot differ.
/// </summary>
public sealed class OdFareTable
{
    private static readonly ConditionalWeakTable<FareTableDef, OdFareTable> Cache = new();

    private readonly Dictionary<(string From, string To), long> _fares;

    private OdFareTable(FareTableDef def)
    {
        ArgumentNullException.ThrowIfNull(def);
        Id = def.Id;
        _fares = new Dictionary<(string, string), long>(def.Fares?.Count ?? 0);
        foreach (OdFareDef f in def.Fares ?? [])
        {
            // The validator refuses duplicate pairs; should one slip through, the first stands, as in the file's order.
            _fares.TryAdd((f.From, f.To), f.Fare);
        }
    }

    public string Id { get; }

    /// <summary>
    /// The table indexed once per definition and kept while the definition lives (a loaded registry or a bus cfg
    /// is not changed in place: a new cfg brings new definitions), so a tap's fare is a dictionary lookup.
    /// </summary>
    public static OdFareTable For(FareTableDef def) => Cache.GetValue(def, static d => new OdFareTable(d));

    /// <summary>
    /// The adult fare from one fare zone to another: the entry for that direction, else the one for the reverse
    /// direction (GTFS-JP feeds often list each pair once); null when the table has neither.
    /// </summary>
    public long? Fare(string? fromZone, string? toZone)
    {
        if (fromZone is null || toZone is null)
        {
            return null;
        }

        if (_fares.TryGetValue((fromZone, toZone), out long fare) || _fares.TryGetValue((toZone, fromZone), out fare))
        {
            return fare;
        }

        return null;
    }

    /// <summary>The table a route of kind <c>table</c> names, from the tables given (a registry's or a bus cfg's); null when absent.</summary>
    public static FareTableDef? Find(IEnumerable<FareTableDef>? tables, string? id) =>
        id is null ? null : tables?.FirstOrDefault(t => string.Equals(t.Id, id, StringComparison.Ordinal));
}
