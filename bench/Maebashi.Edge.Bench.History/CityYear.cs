using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.TestSupport;

namespace Maebashi.Edge.Bench.History;

/// <summary>One generated tap before it is written: whose, which bus, when, board or alight, at which stop, its seq.</summary>
internal struct PlannedTap
{
    public long AtTicks;
    public int Person;
    public ulong Seq;
    public short Device;
    public bool Alight;
    public byte Stop;
}

/// <summary>
/// The riders of a city over a run of service days, as taps: daily commuters (one person in
/// <see cref="CommuterEvery"/>) riding to work and back on weekdays, board and alight each way, and occasional riders
/// (everyone else) with 0–4 rides a year on random days. The taps are held grouped by person, each person's in time
/// order; <see cref="AssignSeqs"/> numbers them per bus in time order.
/// </summary>
internal sealed class CityYear
{
    /// <summary>One person in this many is a daily commuter (10,000 of 340,000).</summary>
    public const int CommuterEvery = 34;

    /// <summary>What a commuter's monthly top-up charges, before the month's first ride (a month of rides is at most 23 × the ¥700 daily cap).</summary>
    public const long MonthlyTopUp = 16_000;

    private readonly bool _onlyCommuters;

    private CityYear(PlannedTap[] taps, int[] personStart, int persons, int buses, DateOnly firstDay, DateOnly lastDay, bool onlyCommuters)
    {
        _onlyCommuters = onlyCommuters;
        Taps = taps;
        PersonStart = personStart;
        Persons = persons;
        Buses = buses;
        FirstDay = firstDay;
        LastDay = lastDay;
    }

    public PlannedTap[] Taps { get; }

    /// <summary>Person p's taps are <c>Taps[PersonStart[p]..PersonStart[p + 1]]</c>.</summary>
    public int[] PersonStart { get; }

    public int Persons { get; }
    public int Buses { get; }
    public DateOnly FirstDay { get; }
    public DateOnly LastDay { get; }

    public static bool IsCommuter(int person) => person % CommuterEvery == 1;

    /// <summary>Whether the planned person commutes daily (and tops up monthly).</summary>
    public bool Commutes(int person) => _onlyCommuters || IsCommuter(person);

    /// <summary>The card a person taps with: their first card that is not reported lost.</summary>
    public static int CardOf(int person, int persons)
    {
        int card = person;
        while (card % RegistryGenerator.LostCardEvery == 0)
        {
            card += persons;
        }

        return card;
    }

    public static string TokenOf(CityRegistry registry, int card) =>
        CardToken.Compute(registry.RegionKey, CardTech.Iso14443A, RegistryGenerator.Uid(card));

    /// <summary>An instant of a service day given as JST clock time (hours after midnight of the day's date, 3 ≤ h &lt; 27).</summary>
    public static DateTimeOffset At(DateOnly day, double jstHours) => WalletRules.DayStart(day).AddHours(jstHours - 3);

    /// <summary>
    /// Plans the rides of persons [<paramref name="firstPerson"/>, <paramref name="persons"/>) from
    /// <paramref name="firstDay"/> to <paramref name="lastDay"/>; with <paramref name="onlyCommuters"/>, every planned
    /// person commutes (the evaluation bench's riders).
    /// </summary>
    public static CityYear Plan(int persons, int buses, DateOnly firstDay, DateOnly lastDay, int firstPerson = 0, bool onlyCommuters = false)
    {
        int days = lastDay.DayNumber - firstDay.DayNumber + 1;
        int commuters = onlyCommuters ? persons - firstPerson : (persons - firstPerson) / CommuterEvery;
        long estimate = (long)commuters * days * 4 * 5 / 7 + (long)(persons - firstPerson - commuters) * 4 + 1024;
        var taps = new List<PlannedTap>((int)Math.Min(estimate + estimate / 10, int.MaxValue / 32));
        int[] start = new int[persons + 1];
        var rides = new List<(long Board, long Alight, short Device, byte From, byte To)>();
        for (int p = 0; p < persons; p++)
        {
            start[p] = taps.Count;
            if (p < firstPerson)
            {
                continue;
            }

            var rnd = new Random(p * 7919 + 13);
            rides.Clear();
            if (onlyCommuters || IsCommuter(p))
            {
                // To work between 07:00 and 08:30 and back between 17:30 and 19:30, each on the person's own bus and
                // stops, a few minutes earlier or later each day; one weekday in twenty at home.
                short morningBus = (short)rnd.Next(buses), eveningBus = (short)rnd.Next(buses);
                double morning = 7 + rnd.Next(90) / 60.0, evening = 17.5 + rnd.Next(120) / 60.0;
                byte home = (byte)(1 + rnd.Next(3)), work = (byte)(home + 1 + rnd.Next(4));
                for (DateOnly d = firstDay; d <= lastDay; d = d.AddDays(1))
                {
                    if (d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday || rnd.Next(20) == 0)
                    {
                        continue;
                    }

                    DateTimeOffset go = At(d, morning + (rnd.Next(11) - 5) / 60.0), back = At(d, evening + (rnd.Next(11) - 5) / 60.0);
                    rides.Add((go.UtcTicks, go.AddMinutes(20).UtcTicks, morningBus, home, work));
                    rides.Add((back.UtcTicks, back.AddMinutes(20).UtcTicks, eveningBus, work, home));
                }
            }
            else
            {
                int count = rnd.Next(5);
                var starts = new List<long>(count);
                for (int k = 0; k < count; k++)
                {
                    starts.Add(At(firstDay.AddDays(rnd.Next(days)), 7 + rnd.Next(13 * 60) / 60.0).UtcTicks);
                }

                starts.Sort();
                long free = long.MinValue;
                foreach (long s in starts)
                {
                    // Never a ride before the last one ended.
                    long board = Math.Max(s, free);
                    long alight = board + TimeSpan.FromMinutes(12 + rnd.Next(19)).Ticks;
                    byte from = (byte)(1 + rnd.Next(3));
                    rides.Add((board, alight, (short)rnd.Next(buses), from, (byte)(from + 1 + rnd.Next(4))));
                    free = alight + TimeSpan.TicksPerMinute;
                }
            }

            foreach ((long board, long alight, short device, byte from, byte to) in rides)
            {
                taps.Add(new PlannedTap { AtTicks = board, Person = p, Device = device, Stop = from });
                taps.Add(new PlannedTap { AtTicks = alight, Person = p, Device = device, Stop = to, Alight = true });
            }
        }

        start[persons] = taps.Count;
        return new CityYear([.. taps], start, persons, buses, firstDay, lastDay, onlyCommuters);
    }

    /// <summary>Numbers every bus's taps in time order, after <paramref name="after"/> (the bus's seq before them); returns each bus's last seq.</summary>
    public ulong[] AssignSeqs(ulong[] after)
    {
        int[] count = new int[Buses];
        foreach (PlannedTap t in Taps)
        {
            count[t.Device]++;
        }

        int[] offset = new int[Buses + 1];
        for (int d = 0; d < Buses; d++)
        {
            offset[d + 1] = offset[d] + count[d];
        }

        int[] index = new int[Taps.Length];
        long[] keys = new long[Taps.Length];
        int[] fill = [.. offset[..Buses]];
        for (int i = 0; i < Taps.Length; i++)
        {
            int at = fill[Taps[i].Device]++;
            index[at] = i;
            keys[at] = Taps[i].AtTicks;
        }

        ulong[] last = [.. after];
        for (int d = 0; d < Buses; d++)
        {
            Array.Sort(keys, index, offset[d], count[d]);
            for (int k = 0; k < count[d]; k++)
            {
                Taps[index[offset[d] + k]].Seq = after[d] + (ulong)k + 1;
            }

            last[d] = after[d] + (ulong)count[d];
        }

        return last;
    }
}
