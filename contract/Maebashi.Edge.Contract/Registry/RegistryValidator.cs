using System.Globalization;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Contract.Registry;

/// <summary>
/// Checks a registry document and lists every problem, each naming its entry and field
/// (docs/contract.md §7). UIDs and keys are never echoed into a problem.
/// </summary>
public static class RegistryValidator
{
    public static IReadOnlyList<RegistryProblem> Validate(RegistryDocument doc)
    {
        var problems = new List<RegistryProblem>();
        void Add(string entry, string field, string message) => problems.Add(new RegistryProblem(entry, field, message));

        // keys
        if (doc.Keys is null)
        {
            Add("keys", "regionKey", "missing");
            Add("keys", "linkKey", "missing");
        }
        else
        {
            CheckKey(doc.Keys.RegionKey, "keys", "regionKey", Add);
            CheckKey(doc.Keys.LinkKey, "keys", "linkKey", Add);
        }

        // tariff
        if (doc.Tariff is { } tariff)
        {
            if (tariff.DebtLimit < 0)
            {
                Add("tariff", "debtLimit", $"must be 0 or more, got {tariff.DebtLimit}");
            }

            if (tariff.RidePointsPer100 < 0)
            {
                Add("tariff", "ridePointsPer100", $"must be 0 or more, got {tariff.RidePointsPer100}");
            }

            if (tariff.DailyCap is { } cap)
            {
                CheckNonNegative(cap.Adult, "tariff", "dailyCap.adult", Add);
                CheckNonNegative(cap.Child, "tariff", "dailyCap.child", Add);
                CheckNonNegative(cap.Disability, "tariff", "dailyCap.disability", Add);
            }
        }

        // clinics
        var clinics = new HashSet<string>(StringComparer.Ordinal);
        ForEach(doc.Clinics, "clinics", (c, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(c.Id))
            {
                Add(entry, "id", "missing");
            }
            else if (!clinics.Add(c.Id))
            {
                Add(entry, "id", $"duplicate clinic id '{c.Id}'");
            }
        });

        // persons
        var pids = new HashSet<string>(doc.Persons?.Count ?? 0, StringComparer.Ordinal);
        ForEach(doc.Persons, "persons", (p, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(p.Pid))
            {
                Add(entry, "pid", "missing");
                return;
            }

            string named = $"{entry} (pid {p.Pid})";
            if (!pids.Add(p.Pid))
            {
                Add(named, "pid", $"duplicate pid '{p.Pid}'");
            }

            if (!DateOnly.TryParseExact(p.BirthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                Add(named, "birthDate", $"expected a date yyyy-MM-dd, got '{p.BirthDate}'");
            }

            foreach (string flag in p.Flags ?? [])
            {
                if (flag != PersonFlags.Disability)
                {
                    Add(named, "flags", $"unknown flag '{flag}' (known: {PersonFlags.Disability})");
                }
            }
        });

        // cards: duplicates by (tech, normalised uid); the uid itself is never echoed.
        var cardKeys = new Dictionary<string, int>(doc.Cards?.Count ?? 0, StringComparer.Ordinal);
        ForEach(doc.Cards, "cards", (c, entry, index) =>
        {
            bool techOk = CardTechs.TryParse(c.Tech, out CardTech tech);
            if (!techOk)
            {
                Add(entry, "tech", $"unknown tech '{c.Tech}' (expected {string.Join(", ", CardTechs.All)})");
            }

            if (!Hex.TryParse(c.Uid, out byte[] uid))
            {
                Add(entry, "uid", string.IsNullOrEmpty(c.Uid) ? "missing" : "bad hex (expected an even number of hex digits)");
            }
            else
            {
                if (techOk && CardTechs.CheckUidLength(tech, uid.Length) is { } why)
                {
                    Add(entry, "uid", why);
                }

                string key = (c.Tech ?? "") + ":" + Hex.Format(uid);
                if (cardKeys.TryGetValue(key, out int first))
                {
                    Add(entry, "uid", $"duplicate card: same tech and uid as cards[{first}]");
                }
                else
                {
                    cardKeys[key] = index;
                }
            }

            if (string.IsNullOrWhiteSpace(c.Pid))
            {
                Add(entry, "pid", "missing");
            }
            else if (!pids.Contains(c.Pid))
            {
                Add(entry, "pid", $"unknown pid '{c.Pid}'");
            }

            if (c.Status is not (CardStatuses.Active or CardStatuses.Lost))
            {
                Add(entry, "status", $"expected active or lost, got '{c.Status}'");
            }

            if (!CardAuthKinds.IsKnown(c.Auth))
            {
                Add(entry, "auth", $"expected {CardAuthKinds.None} or {CardAuthKinds.Ntag424Sun}, got '{c.Auth}'");
            }
            else if (c.Auth == CardAuthKinds.Ntag424Sun && (!techOk || tech != CardTech.Iso14443A || uid.Length != 7))
            {
                // An NTAG 424 DNA has a 7-byte Type A UID, and the SUN message mirrors exactly those 7 bytes.
                Add(entry, "auth", $"{CardAuthKinds.Ntag424Sun} needs an {CardTechs.Iso14443A} card with a 7-byte uid");
            }

            if (c.KeyVersion < 0)
            {
                Add(entry, "keyVersion", $"expected 0 or more, got {c.KeyVersion}");
            }
        });

        // devices
        var devices = new Dictionary<string, string>(StringComparer.Ordinal);
        ForEach(doc.Devices, "devices", (d, entry, index) =>
        {
            if (!Topics.IsValidDeviceId(d.Id))
            {
                Add(entry, "id", string.IsNullOrEmpty(d.Id) ? "missing" : $"'{d.Id}' is not a usable device id (letters, digits, '-', '_', at most 64)");
                return;
            }

            string named = $"{entry} (id {d.Id})";
            if (!devices.TryAdd(d.Id, d.Role ?? ""))
            {
                Add(named, "id", $"duplicate device id '{d.Id}'");
            }

            if (!DeviceRoles.IsKnown(d.Role))
            {
                Add(named, "role", $"unknown role '{d.Role}' (expected bus, event or clinic)");
            }

            CheckKey(d.Key, named, "key", Add);
            if (d.Role == DeviceRoles.Clinic)
            {
                if (string.IsNullOrEmpty(d.Clinic))
                {
                    Add(named, "clinic", "missing (a clinic reception names its clinic)");
                }
                else if (!clinics.Contains(d.Clinic))
                {
                    Add(named, "clinic", $"unknown clinic '{d.Clinic}'");
                }
            }
        });

        // agencies, fare tables and vehicles (docs/contract.md §7), before the routes that name them
        var agencies = new HashSet<string>(StringComparer.Ordinal);
        ForEach(doc.Agencies, "agencies", (a, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(a.Id))
            {
                Add(entry, "id", "missing");
                return;
            }

            string named = $"{entry} (id {a.Id})";
            if (!agencies.Add(a.Id))
            {
                Add(named, "id", $"duplicate agency id '{a.Id}'");
            }

            if (string.IsNullOrWhiteSpace(a.Name))
            {
                Add(named, "name", "missing");
            }
        });

        var fareTables = new Dictionary<string, OdFareTable>(StringComparer.Ordinal);
        ForEach(doc.FareTables, "fareTables", (t, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(t.Id))
            {
                Add(entry, "id", "missing");
                return;
            }

            string named = $"{entry} (id {t.Id})";
            if (!fareTables.TryAdd(t.Id, OdFareTable.For(t)))
            {
                Add(named, "id", $"duplicate fare table id '{t.Id}'");
            }

            if (t.Agency is not null && !agencies.Contains(t.Agency))
            {
                Add(named, "agency", $"unknown agency '{t.Agency}'");
            }

            if (t.Fares is null || t.Fares.Count == 0)
            {
                Add(named, "fares", "a fare table needs at least one fare");
                return;
            }

            var pairs = new HashSet<(string, string)>();
            for (int i = 0; i < t.Fares.Count; i++)
            {
                OdFareDef f = t.Fares[i];
                string field = $"fares[{i}]";
                if (string.IsNullOrWhiteSpace(f.From) || string.IsNullOrWhiteSpace(f.To))
                {
                    Add(named, field + (string.IsNullOrWhiteSpace(f.From) ? ".from" : ".to"), "missing");
                    continue;
                }

                if (!pairs.Add((f.From, f.To)))
                {
                    Add(named, field, $"duplicate fare from '{f.From}' to '{f.To}'");
                }

                CheckNonNegative(f.Fare, named, field + ".fare", Add);
            }
        });

        var vehicles = new HashSet<string>(StringComparer.Ordinal);
        ForEach(doc.Vehicles, "vehicles", (v, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(v.Id))
            {
                Add(entry, "id", "missing");
                return;
            }

            string named = $"{entry} (id {v.Id})";
            if (!vehicles.Add(v.Id))
            {
                Add(named, "id", $"duplicate vehicle id '{v.Id}'");
            }

            if (v.Capacity < 1)
            {
                Add(named, "capacity", $"must be 1 or more, got {v.Capacity}");
            }
        });

        // routes
        var routes = new HashSet<string>(StringComparer.Ordinal);
        ForEach(doc.Routes, "routes", (r, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(r.Id))
            {
                Add(entry, "id", "missing");
                return;
            }

            string named = $"{entry} (id {r.Id})";
            if (!routes.Add(r.Id))
            {
                Add(named, "id", $"duplicate route id '{r.Id}'");
            }

            switch (r.Kind)
            {
                case RouteKinds.Flat:
                    if (r.FlatFare is null)
                    {
                        Add(named, "flatFare", "missing (a flat route needs flatFare)");
                    }

                    CheckNonNegative(r.FlatFare, named, "flatFare", Add);
                    break;
                case RouteKinds.Zonal:
                    foreach ((string field, long? v) in new[] { ("baseFare", r.BaseFare), ("zoneFare", r.ZoneFare), ("maxFare", r.MaxFare) })
                    {
                        if (v is null)
                        {
                            Add(named, field, "missing (a zonal route needs baseFare, zoneFare and maxFare)");
                        }

                        CheckNonNegative(v, named, field, Add);
                    }

                    break;
                case RouteKinds.Table:
                    if (string.IsNullOrEmpty(r.FareTable))
                    {
                        Add(named, "fareTable", "missing (a table route names its fare table)");
                    }
                    else if (!fareTables.ContainsKey(r.FareTable))
                    {
                        Add(named, "fareTable", $"unknown fare table '{r.FareTable}'");
                    }

                    break;
                default:
                    Add(named, "kind", $"unknown route kind '{r.Kind}' (expected flat, zonal or table)");
                    break;
            }

            if (r.Agency is not null && !agencies.Contains(r.Agency))
            {
                Add(named, "agency", $"unknown agency '{r.Agency}'");
            }

            CheckNonNegative(r.TransferDiscount, named, "transferDiscount", Add);
            if (r.Stops is null || r.Stops.Count == 0)
            {
                Add(named, "stops", "a route needs at least one stop");
                return;
            }

            var stopIds = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < r.Stops.Count; i++)
            {
                StopDef s = r.Stops[i];
                string stopField = $"stops[{i}]";
                if (string.IsNullOrWhiteSpace(s.Id))
                {
                    Add(named, stopField + ".id", "missing");
                }
                else if (!stopIds.Add(s.Id))
                {
                    Add(named, stopField + ".id", $"duplicate stop id '{s.Id}'");
                }

                if (r.Kind == RouteKinds.Zonal)
                {
                    if (s.Zone is null)
                    {
                        Add(named, stopField + ".zone", $"stop '{s.Id}' of a zonal route has no zone");
                    }
                    else if (s.Zone < 1)
                    {
                        Add(named, stopField + ".zone", $"zone must be 1 or more, got {s.Zone}");
                    }
                }

                if (r.Kind == RouteKinds.Table && string.IsNullOrWhiteSpace(s.FareZone))
                {
                    Add(named, stopField + ".fareZone", $"stop '{s.Id}' of a table route has no fare zone");
                }

                CheckPosition(s, named, stopField, Add);
            }

            CheckPatterns(r, named, stopIds, Add);
            if (r.Kind == RouteKinds.Table && r.FareTable is not null && fareTables.TryGetValue(r.FareTable, out OdFareTable? table))
            {
                CheckFaresCovered(r, table, named, Add);
            }
        });

        // events
        var eventIds = new HashSet<string>(StringComparer.Ordinal);
        ForEach(doc.Events, "events", (e, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(e.Id))
            {
                Add(entry, "id", "missing");
                return;
            }

            string named = $"{entry} (id {e.Id})";
            if (!eventIds.Add(e.Id))
            {
                Add(named, "id", $"duplicate event id '{e.Id}'");
            }

            if (e.Sector is not (EventSectors.Volunteer or EventSectors.Health))
            {
                Add(named, "sector", $"expected volunteer or health, got '{e.Sector}'");
            }

            if (e.End < e.Start)
            {
                Add(named, "end", $"event ends ({e.End:O}) before it starts ({e.Start:O})");
            }

            CheckNonNegative(e.Points, named, "points", Add);
            CheckNonNegative(e.PointsPerHour, named, "pointsPerHour", Add);
            CheckNonNegative(e.MaxPoints, named, "maxPoints", Add);
            if (e.Sites is null || e.Sites.Count == 0)
            {
                Add(named, "sites", "an event needs at least one site (device)");
            }
            else
            {
                foreach (string site in e.Sites)
                {
                    if (!devices.TryGetValue(site, out string? role))
                    {
                        Add(named, "sites", $"unknown device '{site}'");
                    }
                    else if (role != DeviceRoles.Event)
                    {
                        Add(named, "sites", $"device '{site}' has role '{role}', not event");
                    }
                }
            }
        });

        return problems;
    }

    /// <summary>WGS84 decimal degrees, both or neither: a stop with half a position cannot be found by the GPS.</summary>
    private static void CheckPosition(StopDef s, string entry, string stopField, Action<string, string, string> add)
    {
        if (s.Lat is null != s.Lon is null)
        {
            add(entry, stopField + (s.Lat is null ? ".lat" : ".lon"), $"stop '{s.Id}' has {(s.Lat is null ? "lon" : "lat")} without {(s.Lat is null ? "lat" : "lon")} (both or neither)");
        }

        if (s.Lat is { } lat && !(lat >= -90 && lat <= 90))
        {
            add(entry, stopField + ".lat", $"must be between -90 and 90, got {lat.ToString(CultureInfo.InvariantCulture)}");
        }

        if (s.Lon is { } lon && !(lon >= -180 && lon <= 180))
        {
            add(entry, stopField + ".lon", $"must be between -180 and 180, got {lon.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private static void CheckPatterns(RouteDef r, string entry, HashSet<string> stopIds, Action<string, string, string> add)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < (r.Patterns?.Count ?? 0); i++)
        {
            RoutePatternDef p = r.Patterns![i];
            string field = $"patterns[{i}]";
            if (string.IsNullOrWhiteSpace(p.Id))
            {
                add(entry, field + ".id", "missing");
            }
            else if (!ids.Add(p.Id))
            {
                add(entry, field + ".id", $"duplicate pattern id '{p.Id}'");
            }

            if (p.Direction is not (0 or 1))
            {
                add(entry, field + ".direction", $"expected 0 or 1 (GTFS direction_id), got {p.Direction}");
            }

            if (p.Stops is null || p.Stops.Count < 2)
            {
                add(entry, field + ".stops", "a pattern needs at least two stops");
                continue;
            }

            for (int k = 0; k < p.Stops.Count; k++)
            {
                if (!stopIds.Contains(p.Stops[k]))
                {
                    add(entry, $"{field}.stops[{k}]", $"stop '{p.Stops[k]}' is not among the route's stops");
                }
            }
        }
    }

    /// <summary>
    /// Kind <c>table</c>: every ride a pattern allows (board at a stop, alight at a later one) has a fare, in either
    /// direction of the table; a route without patterns is one pattern of its stops in order. A gap would leave a
    /// passenger with no fare to charge.
    /// </summary>
    private static void CheckFaresCovered(RouteDef r, OdFareTable table, string entry, Action<string, string, string> add)
    {
        var zoneOf = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (StopDef s in r.Stops)
        {
            zoneOf.TryAdd(s.Id, s.FareZone);
        }

        var reported = new HashSet<(string, string)>();
        IEnumerable<(string Field, List<string> Stops)> patterns = r.Patterns is { Count: > 0 } ps
            ? ps.Select((p, i) => ($"patterns[{i}]", p.Stops ?? []))
            : [("stops", r.Stops.Select(s => s.Id).ToList())];
        foreach ((string field, List<string> stops) in patterns)
        {
            for (int a = 0; a < stops.Count; a++)
            {
                for (int b = a + 1; b < stops.Count; b++)
                {
                    if (zoneOf.GetValueOrDefault(stops[a]) is not { } from || zoneOf.GetValueOrDefault(stops[b]) is not { } to)
                    {
                        continue; // reported with the stop
                    }

                    if (table.Fare(from, to) is null && reported.Add(string.CompareOrdinal(from, to) <= 0 ? (from, to) : (to, from)))
                    {
                        add(entry, field, $"fare table '{table.Id}' has no fare between zones '{from}' and '{to}' (stops '{stops[a]}' → '{stops[b]}')");
                    }
                }
            }
        }
    }

    private static void CheckKey(string? hex, string entry, string field, Action<string, string, string> add)
    {
        if (string.IsNullOrEmpty(hex))
        {
            add(entry, field, "missing");
        }
        else if (!Hex.TryParse(hex, out byte[] key))
        {
            add(entry, field, "bad hex (expected an even number of hex digits)");
        }
        else if (key.Length < 16)
        {
            add(entry, field, $"key of {key.Length} bytes is too short (at least 16)");
        }
    }

    private static void CheckNonNegative(long? value, string entry, string field, Action<string, string, string> add)
    {
        if (value < 0)
        {
            add(entry, field, $"must be 0 or more, got {value}");
        }
    }

    private static void ForEach<T>(List<T>? items, string name, Action<T, string, int> check)
    {
        if (items is null)
        {
            return;
        }

        for (int i = 0; i < items.Count; i++)
        {
            check(items[i], $"{name}[{i}]", i);
        }
    }
}
