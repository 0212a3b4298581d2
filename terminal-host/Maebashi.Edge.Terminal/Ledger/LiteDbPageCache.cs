using System.Collections.Concurrent;
using System.Reflection;

namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>
/// Bounds how far LiteDB's page cache grows in the terminal's process (docs/benchmarks.md, terminal memory).
/// LiteDB 5 grows its cache in segments of 12, 50, 100, 500 and 1,000 pages of 8 KiB and reuses idle pages
/// only when more are idle than the next segment holds, so a ledger of a few thousand entries ends with
/// ~1,660 pages (13.6 MB of large-object heap) cached: more than the ledger file itself. Capping the segment
/// at 100 pages keeps it near the pages in use plus ~1 MB; a page not cached is read again from the file
/// (the OS's page cache), which a tap's few pages never notice.
/// </summary>
/// <remarks>
/// LiteDB has no public setting for this: the sizes are the public static array <c>Constants.MEMORY_SEGMENT_SIZES</c>
/// of its internal <c>Constants</c> class, read by each database opened afterwards. It is process-wide, so only the
/// terminal service's host sets it (never a library that may share the process with the ingest's store).
/// If a LiteDB version no longer has the field, nothing changes and the cache grows as before.
/// </remarks>
public static class LiteDbPageCache
{
    /// <summary>The segment sizes (pages) the terminal's process uses.</summary>
    public static readonly IReadOnlyList<int> TerminalSegmentPages = [12, 50, 100];

    /// <summary>Sets the segment sizes for the databases opened from now on; returns false if LiteDB has no such setting.</summary>
    public static bool LimitSegments(IReadOnlyList<int> pages)
    {
        FieldInfo? field = typeof(LiteDB.LiteDatabase).Assembly.GetType("LiteDB.Constants")
            ?.GetField("MEMORY_SEGMENT_SIZES", BindingFlags.Public | BindingFlags.Static);
        if (field is null || field.IsInitOnly || field.FieldType != typeof(int[]))
        {
            return false;
        }

        field.SetValue(null, pages.ToArray());
        return true;
    }

    /// <summary>
    /// Compiles, before the first tap, the framework code LiteDB's cache runs when it first reuses idle pages: LINQ
    /// (where, order by timestamp, select, take, to array) over its <c>ConcurrentDictionary&lt;long, PageBuffer&gt;</c>.
    /// Framework generics instantiated over another assembly's types are outside ReadyToRun's version bubble, so without
    /// this the JIT compiles ~90 methods (12–20 ms) inside whichever tap's commit first needs a page while a backlog
    /// drains. Reference types share one compiled instantiation, so the same shapes over <see cref="object"/> are enough.
    /// </summary>
    public static void WarmUpReclaim()
    {
        // As many pages as a reclaim sorts and takes (a segment's worth): the growing and sorting paths, not only the first.
        var pages = new ConcurrentDictionary<long, object>();
        for (long key = 256; key > 0; key--)
        {
            pages[key] = new object();
        }

        long[] idle = [.. pages.Where(p => p.Value is not null).OrderBy(p => -p.Key).Select(p => p.Key).Take(100)];
        foreach (long key in idle)
        {
            pages.TryRemove(key, out _);
        }

        _ = pages.Values.Count(p => p is not null);
    }
}
