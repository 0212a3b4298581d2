using LiteDB;
using Maebashi.Edge.Terminal.Ledger;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>
/// The terminal's memory budget rests on capping LiteDB's page cache through a setting LiteDB does not publish:
/// an upgrade of LiteDB that drops or renames it must fail here, not quietly cost the Pi ~13 MB.
/// </summary>
[Trait("Category", "Architecture")]
public class LiteDbPageCacheTests
{
    [Fact]
    public void The_pinned_LiteDB_takes_the_terminals_segment_sizes_and_a_ledger_still_reads_back()
    {
        Assert.True(LiteDbPageCache.LimitSegments(LiteDbPageCache.TerminalSegmentPages));

        // With the smaller segments, more pages than one segment holds are written and read back intact.
        using var stream = new MemoryStream();
        using (var db = new LiteDatabase(stream))
        {
            ILiteCollection<BsonDocument> c = db.GetCollection("t");
            for (int i = 1; i <= 3_000; i++)
            {
                c.Insert(new BsonDocument { ["_id"] = i, ["pad"] = new string('x', 400) });
            }

            Assert.Equal(3_000, c.Count());
            Assert.Equal(new string('x', 400), c.FindById(2_999)["pad"].AsString);
        }
    }
}
