using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Maebashi.Edge.CardAuth.Keys;
using Maebashi.Edge.CardAuth.Sun;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;

// Times WalletRules.Evaluate, the call the ingest makes once per affected person per batch.
// Usage: dotnet run -c Release --project bench/Maebashi.Edge.Bench.Rules [-- --quick]
bool quick = args.Contains("--quick");
TimeSpan budget = quick ? TimeSpan.FromMilliseconds(400) : TimeSpan.FromSeconds(3);

CityRegistry registry = BenchWorld.Registry();
PersonEntry adult = registry.FindPerson("P-ADULT")!;
PersonEntry child = registry.FindPerson("P-CHILD")!;

var cases = new (string Name, PersonHistory History, DateTimeOffset Now)[]
{
    ("busy day (adult): 24 rides with transfers and a cap, 2 event taps, 2 clinic taps, 1 top-up", BenchWorld.BusyDay(registry, adult), BenchWorld.Day0.AddDays(1)),
    ("busy day (child, repeats and denied taps mixed in)", BenchWorld.BusyDay(registry, child, noisy: true), BenchWorld.Day0.AddDays(1)),
    ("month (adult): 30 days × 4 rides, events, clinic visits, top-ups", BenchWorld.Month(registry, adult), BenchWorld.Day0.AddDays(31)),
    ("month, shuffled input order", BenchWorld.Shuffled(BenchWorld.Month(registry, adult)), BenchWorld.Day0.AddDays(31)),
};

Console.WriteLine($"WalletRules.Evaluate — {(quick ? "quick" : "full")} run, .NET {Environment.Version}, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");
// Wall time suffers when the shared machine is busy; the thread's CPU time is the steadier figure.
Console.WriteLine($"{"case",-90} {"facts",5} {"wall µs",9} {"cpu µs",9} {"µs/fact",7} {"KB/eval",8} {"evals/s",9}");
foreach ((string name, PersonHistory history, DateTimeOffset now) in cases)
{
    int facts = history.Taps.Count + history.TripEnds.Count + history.ValueChanges.Count;

    // Warm up (tiered JIT), then measure whole batches until the budget is spent.
    WalletView check = WalletRules.Evaluate(registry, history, now);
    for (int i = 0; i < 2000; i++)
    {
        WalletRules.Evaluate(registry, history, now);
    }

    long n = 0;
    long allocated = GC.GetAllocatedBytesForCurrentThread();
    TimeSpan cpu = ThreadCpu.Now();
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed < budget)
    {
        for (int i = 0; i < 100; i++)
        {
            WalletRules.Evaluate(registry, history, now);
        }

        n += 100;
    }

    watch.Stop();
    cpu = ThreadCpu.Now() - cpu;
    allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
    double us = watch.Elapsed.TotalMicroseconds / n;
    double cpuUs = cpu.TotalMicroseconds / n;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-90} {facts,5} {us,9:F1} {cpuUs,9:F1} {cpuUs / facts,7:F2} {allocated / 1024.0 / n,8:F1} {n / cpu.TotalSeconds,9:F0}"));

    if (check.Trips.Count == 0)
    {
        Console.Error.WriteLine($"the case '{name}' produced no trips: the harness is broken");
        return 2;
    }
}

// The ingest's check of an authenticated card's read (issue 15): decrypt the SUN message, derive the card's keys,
// recompute the token and the MAC. Once per tap of an ntag424-sun card.
double sunVerifyUs;
{
    byte[] master = Convert.FromHexString("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
    byte[] uid = Convert.FromHexString("04A1B2C3D4E5F6");
    var verifier = new SunVerifier(CardMasterKeys.Parse(Convert.ToHexString(master), "bench"), registry.RegionKey);
    string token = CardToken.Compute(registry.RegionKey, CardTech.Iso14443A, uid);
    var reads = Enumerable.Range(1, 64).Select(ctr => (
        E: Convert.ToHexString(SunCrypto.EncryptPiccData(SunKeys.MetaRead(master), uid, ctr, [1, 2, 3, 4, 5])),
        C: Convert.ToHexString(SunCrypto.Mac(SunKeys.FileRead(master, uid), uid, ctr)))).ToArray();
    for (int i = 0; i < 20_000; i++)
    {
        (string e, string c) = reads[i % reads.Length];
        verifier.Verify(token, CardTech.Iso14443A, 0, e, c);
    }

    long n = 0;
    TimeSpan cpu = ThreadCpu.Now();
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed < budget)
    {
        for (int i = 0; i < 1000; i++)
        {
            (string e, string c) = reads[i % reads.Length];
            if (!verifier.Verify(token, CardTech.Iso14443A, 0, e, c).IsValid)
            {
                Console.Error.WriteLine("a genuine SUN message did not verify: the harness is broken");
                return 2;
            }
        }

        n += 1000;
    }

    sunVerifyUs = (ThreadCpu.Now() - cpu).TotalMicroseconds / n;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SUN verification (ntag424-sun read at the ingest): {sunVerifyUs:F2} µs CPU per read, {n:N0} reads"));
}

Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double> { ["sun_verify_us"] = Math.Round(sunVerifyUs, 3) }));

return 0;

/// <summary>CPU time of the calling thread (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)); wall time elsewhere.</summary>
internal static partial class ThreadCpu
{
    private static readonly Stopwatch Fallback = Stopwatch.StartNew();

    public static TimeSpan Now()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(3, out TimeSpec t) == 0)
        {
            return TimeSpan.FromTicks((t.Seconds * TimeSpan.TicksPerSecond) + (t.Nanoseconds / 100));
        }

        return Fallback.Elapsed;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

/// <summary>A registry like a city's: a 30-stop zonal trunk, a flat loop, events and clinics.</summary>
internal static class BenchWorld
{
    public static readonly DateTimeOffset Day0 = new(2026, 11, 2, 6, 0, 0, TimeSpan.FromHours(9));

    public static CityRegistry Registry()
    {
        var doc = new RegistryDocument
        {
            Keys = new RegistryKeys { RegionKey = new string('a', 64), LinkKey = new string('b', 64) },
            Tariff = new TariffDef { DailyCap = new DailyCaps { Adult = 1000, Child = 500, Disability = 500 } },
            Routes =
            [
                new RouteDef
                {
                    Id = "TRUNK", Kind = RouteKinds.Zonal, BaseFare = 180, ZoneFare = 40, MaxFare = 700, TransferDiscount = 50,
                    Stops = Enumerable.Range(0, 30).Select(i => new StopDef { Id = $"T{i:00}", Zone = 1 + (i / 3) }).ToList(),
                },
                new RouteDef { Id = "LOOP", Kind = RouteKinds.Flat, FlatFare = 100, TransferDiscount = 50, Stops = Enumerable.Range(0, 12).Select(i => new StopDef { Id = $"L{i:00}" }).ToList() },
            ],
            Persons =
            [
                new PersonDef { Pid = "P-ADULT", BirthDate = "1980-05-14", OpeningValue = 3000, OpeningPoints = 100 },
                new PersonDef { Pid = "P-CHILD", BirthDate = "2017-06-01", OpeningValue = 500 },
            ],
            Cards =
            [
                new CardDef { Uid = "04A1B2C3D4E5F6", Tech = CardTechs.Iso14443A, Pid = "P-ADULT" },
                new CardDef { Uid = "0101120012345678", Tech = CardTechs.Felica, Pid = "P-ADULT" },
                new CardDef { Uid = "DEADBEEF", Tech = CardTechs.Iso14443A, Pid = "P-CHILD" },
            ],
            Devices =
            [
                new DeviceDef { Id = "BUS1", Role = DeviceRoles.Bus, Vehicle = "V1", Key = new string('1', 64) },
                new DeviceDef { Id = "BUS2", Role = DeviceRoles.Bus, Vehicle = "V2", Key = new string('2', 64) },
                new DeviceDef { Id = "GATE", Role = DeviceRoles.Event, Key = new string('3', 64) },
                new DeviceDef { Id = "DESK", Role = DeviceRoles.Clinic, Clinic = "K1", Key = new string('4', 64) },
            ],
            Clinics = [new ClinicDef { Id = "K1" }],
            Events = Enumerable.Range(0, 31).Select(d => new EventDef
            {
                Id = $"EV{d:00}", Sector = d % 2 == 0 ? EventSectors.Volunteer : EventSectors.Health,
                Start = Day0.AddDays(d).AddHours(3), End = Day0.AddDays(d).AddHours(6), Points = 20, PointsPerHour = 30, MaxPoints = 90, Sites = ["GATE"],
            }).ToList(),
        };

        using var stream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(doc, ContractJsonContext.Default.RegistryDocument));
        return RegistryLoader.Load(stream, "bench registry");
    }

    private sealed class Builder(CityRegistry registry, PersonEntry person)
    {
        private readonly Dictionary<string, ulong> _seq = [];
        private readonly CardEntry[] _cards = [.. registry.CardsOf(person.Pid)];
        public readonly List<StoredTap> Taps = [];
        public readonly List<StoredTap> Ends = [];
        public readonly List<ValueChange> ValueChanges = [];

        public void Tap(string device, string type, DateTimeOffset at, TapContext ctx, int card = 0, string decision = Decisions.Accept)
        {
            ulong seq = _seq[device] = _seq.GetValueOrDefault(device) + 1;
            CardEntry c = _cards[card % _cards.Length];
            Taps.Add(new StoredTap(device, seq, new TapEvent
            {
                Seq = seq, Type = type, At = at, Card = new CardRef { Tok = c.Token, Tech = c.Tech.ToWire() }, Ctx = ctx, Decision = decision,
            }));
        }

        public void End(string device, string vehicle, DateTimeOffset at)
        {
            ulong seq = _seq[device] = _seq.GetValueOrDefault(device) + 1;
            Ends.Add(new StoredTap(device, seq, new TapEvent { Seq = seq, Type = EventTypes.TripEnd, At = at, Ctx = new TapContext { Vehicle = vehicle } }));
        }

        public void Ride(int k, DateTimeOffset at, bool alight = true)
        {
            bool trunk = k % 2 == 0;
            string device = trunk ? "BUS1" : "BUS2";
            string vehicle = trunk ? "V1" : "V2";
            string route = trunk ? "TRUNK" : "LOOP";
            string from = trunk ? $"T{k * 7 % 30:00}" : $"L{k % 12:00}";
            string to = trunk ? $"T{k * 13 % 30:00}" : $"L{(k + 5) % 12:00}";
            Tap(device, EventTypes.Board, at, new TapContext { Route = route, Vehicle = vehicle, Stop = from }, card: k);
            if (alight)
            {
                Tap(device, EventTypes.Alight, at.AddMinutes(12), new TapContext { Route = route, Vehicle = vehicle, Stop = to }, card: k);
            }
        }

        public PersonHistory History => new() { Person = person, Taps = Taps, TripEnds = Ends, ValueChanges = ValueChanges };
    }

    /// <summary>A driver-like day: 24 rides alternating routes 20–30 min apart (transfers, the cap), events, clinic, a top-up.</summary>
    public static PersonHistory BusyDay(CityRegistry registry, PersonEntry person, bool noisy = false)
    {
        var b = new Builder(registry, person);
        DateTimeOffset t = Day0;
        for (int k = 0; k < 24; k++)
        {
            b.Ride(k, t, alight: k % 6 != 5);
            if (noisy && k % 4 == 0)
            {
                b.Tap(k % 2 == 0 ? "BUS1" : "BUS2", EventTypes.Board, t.AddSeconds(4), new TapContext { Route = k % 2 == 0 ? "TRUNK" : "LOOP", Vehicle = k % 2 == 0 ? "V1" : "V2", Stop = k % 2 == 0 ? "T00" : "L00" }, card: k);
                b.Tap("BUS1", EventTypes.Board, t.AddMinutes(15), new TapContext { Route = "TRUNK", Vehicle = "V1", Stop = "T03" }, decision: Decisions.Deny);
            }

            if (k % 6 == 5)
            {
                b.End(k % 2 == 0 ? "BUS1" : "BUS2", k % 2 == 0 ? "V1" : "V2", t.AddMinutes(40));
            }

            t = t.AddMinutes(25 + (k % 3 * 5));
        }

        b.Tap("GATE", EventTypes.EventIn, Day0.AddHours(3.5), new TapContext { Event = "EV00" });
        b.Tap("GATE", EventTypes.EventOut, Day0.AddHours(6.5), new TapContext { Event = "EV00" });
        b.Tap("DESK", EventTypes.ClinicCheckin, Day0.AddHours(2), new TapContext { Clinic = "K1", Queue = 7 });
        b.Tap("DESK", EventTypes.ClinicCheckin, Day0.AddHours(5), new TapContext { Clinic = "K1", Queue = 19 });
        b.ValueChanges.Add(new ValueChange("R-BUSY", 2000, Day0.AddHours(1)));
        return b.History;
    }

    /// <summary>A month of a commuter: 4 rides a day, an event every third day, a clinic visit a week, weekly top-ups.</summary>
    public static PersonHistory Month(CityRegistry registry, PersonEntry person)
    {
        var b = new Builder(registry, person);
        for (int d = 0; d < 30; d++)
        {
            DateTimeOffset day = Day0.AddDays(d);
            b.Ride(d, day.AddHours(1));
            b.Ride(d + 1, day.AddHours(1.5));
            b.Ride(d + 2, day.AddHours(11), alight: d % 5 != 0);
            b.Ride(d + 3, day.AddHours(12));
            if (d % 3 == 0)
            {
                b.Tap("GATE", EventTypes.EventIn, day.AddHours(3.2), new TapContext { Event = $"EV{d:00}" });
                b.Tap("GATE", EventTypes.EventOut, day.AddHours(5.9), new TapContext { Event = $"EV{d:00}" });
            }

            if (d % 7 == 2)
            {
                b.Tap("DESK", EventTypes.ClinicCheckin, day.AddHours(4), new TapContext { Clinic = "K1", Queue = 3 + d });
            }

            if (d % 7 == 0)
            {
                b.ValueChanges.Add(new ValueChange($"R-{d}", 3000, day.AddHours(0.5)));
            }
        }

        return b.History;
    }

    public static PersonHistory Shuffled(PersonHistory h)
    {
        var random = new Random(20261126);
        StoredTap[] taps = [.. h.Taps];
        random.Shuffle(taps);
        return new PersonHistory { Person = h.Person, Taps = taps, TripEnds = h.TripEnds, ValueChanges = h.ValueChanges };
    }
}
