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
}
