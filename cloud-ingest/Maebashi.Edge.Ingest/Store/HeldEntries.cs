using System.Text;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// A person's entries kept with their state, held packed: every stored person's are in memory, and about 90 bytes an
/// entry (length-prefixed UTF-8 strings and numbers) cost a fraction of an object graph per entry, or of the JSON the
/// person log stores them as, where Japanese descriptions are escaped (issue 13's memory).
/// </summary>
internal sealed class HeldEntries
{
    public static readonly HeldEntries None = new([], 0);

    private readonly byte[] _packed;

    private HeldEntries(byte[] packed, int count)
    {
        _packed = packed;
        Count = count;
    }

    public int Count { get; }

    public static HeldEntries Of(IReadOnlyCollection<StoredEntry> entries)
    {
        if (entries.Count == 0)
        {
            return None;
        }

        using var buffer = new MemoryStream(entries.Count * 96);
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            foreach (StoredEntry e in entries)
            {
                w.Write(e.Key);
                w.Write(e.Kind);
                w.Write(e.Source);
                w.Write(e.Description);
                w.Write(e.Value);
                w.Write(e.Points);
                w.Write(e.At);
                w.Write(e.RecordedAt);
                w.Write(e.Adjustment);
            }
        }

        return new HeldEntries(buffer.ToArray(), entries.Count);
    }

    public static HeldEntries Of(IEnumerable<WalletEntry> entries) => Of([.. entries.Select(LiteDbMapping.ToStoredEntry)]);

    /// <summary>The entries as the person log stores them (a new list).</summary>
    public List<StoredEntry> Stored()
    {
        var entries = new List<StoredEntry>(Count);
        using var r = new BinaryReader(new MemoryStream(_packed, writable: false), Encoding.UTF8);
        for (int i = 0; i < Count; i++)
        {
            entries.Add(new StoredEntry
            {
                Key = r.ReadString(),
                Kind = r.ReadString(),
                Source = r.ReadString(),
                Description = r.ReadString(),
                Value = r.ReadInt64(),
                Points = r.ReadInt64(),
                At = r.ReadInt64(),
                RecordedAt = r.ReadInt64(),
                Adjustment = r.ReadBoolean(),
            });
        }

        return entries;
    }

    /// <summary>The entries, oldest first (a new list the caller may add to).</summary>
    public List<WalletEntry> Unpack(string pid) => [.. Stored().Select(e => LiteDbMapping.FromStored(pid, e))];
}
