using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

/// <summary>
/// The contract of <see cref="IIngestStore"/> (the rules in its file's header) as people and operators see it through the
/// pipeline, run against every store: one subclass per store opens it. The cases are split along what they are about
/// (intake, wallets, clinics and events, the console's queries, durability, quarantine), each file a part of this class.
/// </summary>
/// <remarks>
/// Each test gets its own empty store location (<see cref="NewStoreAsync"/>); opening the store there again after
/// disposing it is what a restart of the ingest does.
/// </remarks>
[Trait("Category", "ScaleOut")]
public abstract partial class StoreConformanceTests : IDisposable
{
    // The sample registry's cards (fixtures/registry.sample.json).
    private const string AdultCard = "04A1B2C3D4E5F6"; // P0001, adult, opening value ¥1,000
    private const string ChildCard = "DEADBEEF"; // P0002, child
    private const string NoAutoPayCard = "CAFEBABE"; // P0005, opening value ¥0 and 200 points, no automatic point payment
    private const string DisabilityCard = "04C0FFEE123456"; // P0004
    private const string TeenCard = "0F0E0D0C"; // P0006
    private const string PatientCard = "04BADA55C0FFEE"; // P0007

    // Adult fares on route R01 (zonal: ¥180, ¥40 a zone, at most ¥340): S01 (zone 1) to S05 (zone 3), to S03 (zone 2).
    private const long FareS01ToS05 = 260;
    private const long FareS01ToS03 = 220;
    private const long HighestFareFromS01 = 340;

    private readonly List<PipelineKit> _open = [];
    private Func<IIngestStore>? _openStore;

    /// <summary>A new, empty location for a store (a directory, a database); the function opens the store there, again after a dispose.</summary>
    protected abstract Task<Func<IIngestStore>> NewStoreAsync();

    /// <summary>A day of November 2026 (December from day 31), Japan time.</summary>
    private static DateTimeOffset Nov(int day, int hour, int minute) => new DateTimeOffset(2026, 11, 1, hour, minute, 0, TestKit.Jst).AddDays(day - 1);

    private static string Pid(string uid) => TestKit.Registry.FindCard(TestKit.Tok(uid))!.Pid;

    private static JsonObject TripEnd(ulong seq, DateTimeOffset at, string vehicle) => new()
    {
        ["seq"] = seq,
        ["type"] = EventTypes.TripEnd,
        ["at"] = TestKit.At(at),
        ["ctx"] = new JsonObject { ["vehicle"] = vehicle },
    };

    /// <summary>The pipeline over this test's store, opened now (the first call makes the location).</summary>
    private async Task<PipelineKit> OpenAsync(DateTimeOffset now, WalletEvaluator? evaluate = null)
    {
        _openStore ??= await NewStoreAsync();
        return Track(new PipelineKit(new FakeTimeProvider(now), _openStore(), evaluate));
    }

    /// <summary>A pipeline over a second, empty store of the same kind (what the same facts give elsewhere).</summary>
    private async Task<PipelineKit> OpenAnotherAsync(DateTimeOffset now)
    {
        Func<IIngestStore> open = await NewStoreAsync();
        return Track(new PipelineKit(new FakeTimeProvider(now), open()));
    }

    /// <summary>The ingest restarted: the store disposed and opened again on its location, the clock where it was.</summary>
    private PipelineKit Reopen(PipelineKit kit)
    {
        DateTimeOffset now = kit.Time.GetUtcNow();
        _open.Remove(kit);
        kit.Dispose();
        return Track(new PipelineKit(new FakeTimeProvider(now), _openStore!()));
    }

    private PipelineKit Track(PipelineKit kit)
    {
        _open.Add(kit);
        return kit;
    }

    public void Dispose()
    {
        foreach (PipelineKit kit in _open)
        {
            kit.Dispose();
        }

        _open.Clear();
        GC.SuppressFinalize(this);
    }
}
