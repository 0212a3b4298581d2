using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// What several workers on one store share (Store/ISharedState.cs): the deny version and what its list is built from, the
// order retained topics are published in, and the keys that protect cookies.
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Units_changing_the_deny_list_at_once_each_store_a_version_of_their_own()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        long started = kit.Store.DenyState().Version;

        // Four writers, 25 changes each: without the version's lock two would read the same version and store one number twice.
        long[][] stored = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Enumerable.Range(0, 25).Select(_ => kit.Store.Write(w =>
        {
            long next = w.LockDenyVersion() + 1;
            w.SetMeta(SharedStateKeys.DenyVersion, next.ToString(CultureInfo.InvariantCulture));
            return next;
        })).ToArray())));

        Assert.Equal(Enumerable.Range(1, 100).Select(n => started + n), stored.SelectMany(s => s).Order());
        Assert.Equal(started + 100, kit.Store.DenyState().Version);
    }

    [Fact]
    public async Task Units_adding_to_one_list_kept_under_a_key_at_once_lose_none_of_each_others_items()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        const string Key = "conformance.list";

        // Four writers, 25 items each, each a read-modify-write of one key (as the travel reviews are kept): without the
        // key's lock two would read the same list and the later commit would drop the other's item.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(writer => Task.Run(() =>
        {
            for (int i = 0; i < 25; i++)
            {
                string item = string.Create(CultureInfo.InvariantCulture, $"{writer}.{i};");
                kit.Store.Write(w =>
                {
                    w.SetMeta(Key, w.GetMetaForUpdate(Key) + item);
                    return 0;
                });
            }
        })));

        string[] items = kit.Store.GetMeta(Key)!.Split(';', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(100, items.Distinct().Count());
        Assert.Equal(100, items.Length);
    }

    [Fact]
    public async Task Values_kept_under_several_keys_are_read_at_once_and_a_key_never_set_is_absent()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        kit.Store.Write(w =>
        {
            w.SetMeta("conformance.a", "1");
            w.SetMeta("conformance.b", "二");
            return 0;
        });

        IReadOnlyDictionary<string, string> read = kit.Store.GetMetas(["conformance.b", "conformance.never", "conformance.a"]);

        Assert.Equal(new Dictionary<string, string> { ["conformance.a"] = "1", ["conformance.b"] = "二" }, read.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Empty(kit.Store.GetMetas([]));
    }

    [Fact]
    public async Task The_deny_state_of_a_version_holds_its_debtors_and_card_statuses_and_rebuilds_the_same_list_after_reopening()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 12, 0));
        string lost = TestKit.Tok(AdultCard);
        // P0005 rides S01 → S07 twice (¥340 each) from ¥0: −¥680 is past the debt limit.
        kit.Send("BUS0042",
            TestKit.Board(1, NoAutoPayCard, Nov(30, 8, 0), "S01"), TestKit.Alight(2, NoAutoPayCard, Nov(30, 8, 30), "S07"),
            TestKit.Board(3, NoAutoPayCard, Nov(30, 9, 0), "S01"), TestKit.Alight(4, NoAutoPayCard, Nov(30, 9, 30), "S07"));
        kit.Pipeline.SetCardStatus(lost, CardRunStatus.Lost);
        DenyList before = kit.Pipeline.CurrentDenyList();

        DenyState state = kit.Store.DenyState();

        Assert.Equal(before.Version, state.Version);
        Assert.Equal(["P0005"], state.Debtors);
        Assert.Contains(lost, state.CardStatuses);
        Assert.Contains(TestKit.Tok(NoAutoPayCard), before.Tokens);
        Assert.Contains(lost, before.Tokens);
        DenyList after = Reopen(kit).Pipeline.CurrentDenyList();
        Assert.True(after.Version > before.Version, $"version {after.Version} after reopening, {before.Version} before");
        Assert.Equal(before.Tokens, after.Tokens);
    }

    [Fact]
    public async Task A_retained_topic_is_never_published_below_a_version_published_before()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        var broker = new List<long>();
        Task<bool> Publish(long version) => kit.Store.PublishInOrderAsync(
            Topics.Deny,
            () => new VersionedPayload(version, Encoding.UTF8.GetBytes(version.ToString(CultureInfo.InvariantCulture))),
            (payload, _) =>
            {
                broker.Add(long.Parse(Encoding.UTF8.GetString(payload), CultureInfo.InvariantCulture));
                return Task.CompletedTask;
            },
            CancellationToken.None);

        Assert.True(await Publish(2));
        Assert.False(await Publish(1));
        // The same version again goes out (a broker that lost its retained messages gets them back); a newer one does.
        Assert.True(await Publish(2));
        Assert.True(await Publish(3));

        Assert.Equal([2, 2, 3], broker);
    }

    [Fact]
    public async Task Publishes_of_one_topic_racing_each_other_reach_the_broker_in_version_order()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        var broker = new ConcurrentQueue<long>();
        long[] versions = [.. Enumerable.Range(1, 40).Select(n => (long)n).OrderBy(_ => Random.Shared.Next())];

        await Task.WhenAll(versions.Select(v => Task.Run(() => kit.Store.PublishInOrderAsync(
            Topics.Config("BUS0042"),
            () => new VersionedPayload(v, []),
            async (_, _) =>
            {
                // The broker takes its time: another publish may start meanwhile.
                await Task.Yield();
                broker.Enqueue(v);
            },
            CancellationToken.None))));

        long[] seen = [.. broker];
        Assert.Equal(seen.Order(), seen);
        Assert.Equal(40, seen[^1]);
    }

    [Fact]
    public async Task Data_protection_keys_survive_reopening_and_a_name_keeps_its_first_element()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        Assert.Empty(kit.Store.DataProtectionKeys());
        kit.Store.AddDataProtectionKey("key-1", "<key id=\"1\"><secret>one</secret></key>");
        kit.Store.AddDataProtectionKey("key-2", "<key id=\"2\"><secret>two</secret></key>");
        kit.Store.AddDataProtectionKey("key-1", "<key id=\"1\"><secret>other</secret></key>");

        Assert.Equal(["<key id=\"1\"><secret>one</secret></key>", "<key id=\"2\"><secret>two</secret></key>"], Reopen(kit).Store.DataProtectionKeys());
    }
}
