using System.Globalization;

namespace Maebashi.Edge.Cli.Gtfs;

/// <summary>
/// Reads the files of a GTFS-JP feed the import needs into a <see cref="GtfsFeed"/>, checking each row as it goes:
/// missing columns, duplicate ids, references to unknown agencies, routes, trips, stops and fares, numbers and
/// coordinates that do not parse. Every problem is collected with its file, line and field.
/// </summary>
public static class GtfsFeedReader
{
    public static GtfsFeed Read(GtfsFeedSource source, GtfsProblems problems)
    {
        var feed = new GtfsFeed();
        ReadAgencies(source, feed, problems);
        ReadRoutes(source, feed, problems);
        HashSet<string> zones = ReadStops(source, feed, problems);
        Dictionary<string, GtfsTrip> trips = ReadTrips(source, feed, problems);
        ReadStopTimes(source, feed, trips, problems);
        ReadFares(source, feed, zones, problems);
        ReadTranslations(source, feed, problems);
        ReadEndDate(source, feed, problems);
        return feed;
    }

    private static void ReadAgencies(GtfsFeedSource source, GtfsFeed feed, GtfsProblems problems)
    {
        var byId = new Dictionary<string, GtfsAgency>(StringComparer.Ordinal);
        foreach (GtfsRow row in GtfsCsv.Read(source, "agency.txt", required: true, ["agency_id", "agency_name"], problems))
        {
            // Both fields are checked before giving up on the row, so that one run names both.
            string? id = Required(row, "agency_id", problems);
            string? name = Required(row, "agency_name", problems);
            if (id is null || name is null)
            {
                continue;
            }

            var agency = new GtfsAgency(id, name, NullIfEmpty(row["agency_url"]), NullIfEmpty(row["agency_phone"]), row.Line);
            if (byId.TryGetValue(id, out GtfsAgency? first))
            {
                problems.Add(row.File, row.Line, "agency_id", $"agency_id '{id}' is used by two agencies: '{first.Name}' (line {first.Line}) and '{name}'");
                continue;
            }

            byId[id] = agency;
            feed.Agencies.Add(agency);
        }

        foreach (GtfsRow row in GtfsCsv.Read(source, "agency_jp.txt", required: false, ["agency_id"], problems))
        {
            if (!byId.TryGetValue(row["agency_id"], out GtfsAgency? agency))
            {
                problems.Add(row.File, row.Line, "agency_id", $"unknown agency_id '{row["agency_id"]}' (not in agency.txt)");
                continue;
            }

            agency.OfficialName = NullIfEmpty(row["agency_official_name"]);
        }
    }

    private static void ReadRoutes(GtfsFeedSource source, GtfsFeed feed, GtfsProblems problems)
    {
        var byId = new Dictionary<string, GtfsRoute>(StringComparer.Ordinal);
        foreach (GtfsRow row in GtfsCsv.Read(source, "routes.txt", required: true, ["route_id", "route_type"], problems))
        {
            if (Required(row, "route_id", problems) is not { } id)
            {
                continue;
            }

            string agencyId = row["agency_id"];
            if (agencyId.Length == 0)
            {
                // GTFS lets a single-agency feed leave agency_id out.
                if (feed.Agencies.Count == 1)
                {
                    agencyId = feed.Agencies[0].Id;
                }
                else
                {
                    problems.Add(row.File, row.Line, "agency_id", "missing: the feed has more than one agency");
                    continue;
                }
            }
            else if (!feed.Agencies.Exists(a => a.Id == agencyId))
            {
                problems.Add(row.File, row.Line, "agency_id", $"unknown agency_id '{agencyId}' (not in agency.txt)");
                continue;
            }

            (string name, string nameField) = row["route_long_name"] is { Length: > 0 } longName
                ? (longName, "route_long_name")
                : (row["route_short_name"], "route_short_name");
            if (name.Length == 0)
            {
                problems.Add(row.File, row.Line, "route_short_name", "a route needs route_short_name or route_long_name");
                continue;
            }

            if (byId.TryGetValue(id, out GtfsRoute? first))
            {
                problems.Add(row.File, row.Line, "route_id", first.AgencyId == agencyId
                    ? $"duplicate route_id '{id}' (also line {first.Line})"
                    : $"route_id '{id}' is used by two agencies: '{first.AgencyId}' (line {first.Line}) and '{agencyId}'");
                continue;
            }

            var route = new GtfsRoute(id, agencyId, name, nameField, row.Line);
            byId[id] = route;
            feed.Routes.Add(route);
        }
    }

    /// <returns>The zone_ids the stops name, for fare_rules.txt to be checked against.</returns>
    private static HashSet<string> ReadStops(GtfsFeedSource source, GtfsFeed feed, GtfsProblems problems)
    {
        var zones = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (GtfsRow row in GtfsCsv.Read(source, "stops.txt", required: true, ["stop_id", "stop_name", "stop_lat", "stop_lon"], problems))
        {
            if (Required(row, "stop_id", problems) is not { } id)
            {
                continue;
            }

            if (!seen.TryAdd(id, row.Line))
            {
                problems.Add(row.File, row.Line, "stop_id", $"duplicate stop_id '{id}' (also line {seen[id]})");
                continue;
            }

            string type = row["location_type"];
            if (type is not ("" or "0"))
            {
                if (type is not ("1" or "2" or "3" or "4"))
                {
                    problems.Add(row.File, row.Line, "location_type", $"expected 0 to 4, got '{type}'");
                }

                continue; // stations, entrances, generic nodes and boarding areas: buses stop at stops
            }

            string? name = Required(row, "stop_name", problems);
            double? lat = Coordinate(row, "stop_lat", 90, problems);
            double? lon = Coordinate(row, "stop_lon", 180, problems);
            if (name is null || lat is null || lon is null)
            {
                continue;
            }

            string? zone = NullIfEmpty(row["zone_id"]);
            if (zone is not null)
            {
                zones.Add(zone);
            }

            feed.Stops[id] = new GtfsStop(id, name, lat.Value, lon.Value, NullIfEmpty(row["platform_code"]), zone, row.Line);
        }

        return zones;
    }

    private static Dictionary<string, GtfsTrip> ReadTrips(GtfsFeedSource source, GtfsFeed feed, GtfsProblems problems)
    {
        var routes = feed.Routes.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var trips = new Dictionary<string, GtfsTrip>(StringComparer.Ordinal);
        foreach (GtfsRow row in GtfsCsv.Read(source, "trips.txt", required: true, ["route_id", "service_id", "trip_id"], problems))
        {
            string? id = Required(row, "trip_id", problems);
            string? route = Required(row, "route_id", problems);
            if (id is null || route is null)
            {
                continue;
            }

            if (!routes.Contains(route))
            {
                problems.Add(row.File, row.Line, "route_id", $"unknown route_id '{route}' (not in routes.txt)");
                continue;
            }

            int direction;
            switch (row["direction_id"])
            {
                case "" or "0":
                    direction = 0;
                    break;
                case "1":
                    direction = 1;
                    break;
                default:
                    problems.Add(row.File, row.Line, "direction_id", $"expected 0 or 1, got '{row["direction_id"]}'");
                    continue;
            }

            var trip = new GtfsTrip(id, route, direction, NullIfEmpty(row["trip_headsign"]), row.Line);
            if (!trips.TryAdd(id, trip))
            {
                problems.Add(row.File, row.Line, "trip_id", $"duplicate trip_id '{id}' (also line {trips[id].Line})");
                continue;
            }

            feed.Trips.Add(trip);
        }

        return trips;
    }

    private static void ReadStopTimes(GtfsFeedSource source, GtfsFeed feed, Dictionary<string, GtfsTrip> trips, GtfsProblems problems)
    {
        foreach (GtfsRow row in GtfsCsv.Read(source, "stop_times.txt", required: true, ["trip_id", "stop_id", "stop_sequence"], problems))
        {
            string tripId = row["trip_id"];
            string stopId = row["stop_id"];
            if (!trips.TryGetValue(tripId, out GtfsTrip? trip))
            {
                problems.Add(row.File, row.Line, "trip_id", $"unknown trip_id '{tripId}' (not in trips.txt)");
                continue;
            }

            if (!feed.Stops.ContainsKey(stopId))
            {
                problems.Add(row.File, row.Line, "stop_id", $"unknown stop_id '{stopId}' (not a stop of stops.txt with location_type 0)");
                continue;
            }

            if (!int.TryParse(row["stop_sequence"], NumberStyles.None, CultureInfo.InvariantCulture, out int sequence))
            {
                problems.Add(row.File, row.Line, "stop_sequence", $"expected a whole number 0 or more, got '{row["stop_sequence"]}'");
                continue;
            }

            trip.Calls.Add((sequence, stopId));
        }
    }

    private static void ReadFares(GtfsFeedSource source, GtfsFeed feed, HashSet<string> zones, GtfsProblems problems)
    {
        foreach (GtfsRow row in GtfsCsv.Read(source, "fare_attributes.txt", required: false, ["fare_id", "price"], problems))
        {
            if (Required(row, "fare_id", problems) is not { } id)
            {
                continue;
            }

            if (!decimal.TryParse(row["price"], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal price) || price != decimal.Truncate(price))
            {
                problems.Add(row.File, row.Line, "price", $"expected whole yen 0 or more, got '{row["price"]}'");
                continue;
            }

            if (row["currency_type"] is { Length: > 0 } currency && currency != "JPY")
            {
                problems.Add(row.File, row.Line, "currency_type", $"expected JPY, got '{currency}'");
                continue;
            }

            string? agency = NullIfEmpty(row["agency_id"]);
            if (agency is not null && !feed.Agencies.Exists(a => a.Id == agency))
            {
                problems.Add(row.File, row.Line, "agency_id", $"unknown agency_id '{agency}' (not in agency.txt)");
                continue;
            }

            if (!feed.Fares.TryAdd(id, new GtfsFare(id, (long)price, agency, row.Line)))
            {
                problems.Add(row.File, row.Line, "fare_id", $"duplicate fare_id '{id}' (also line {feed.Fares[id].Line})");
            }
        }

        var routes = feed.Routes.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        foreach (GtfsRow row in GtfsCsv.Read(source, "fare_rules.txt", required: false, ["fare_id"], problems))
        {
            string fare = row["fare_id"];
            string? route = NullIfEmpty(row["route_id"]);
            string? origin = NullIfEmpty(row["origin_id"]);
            string? destination = NullIfEmpty(row["destination_id"]);
            bool ok = true;
            if (!feed.Fares.ContainsKey(fare))
            {
                problems.Add(row.File, row.Line, "fare_id", $"unknown fare_id '{fare}' (not in fare_attributes.txt)");
                ok = false;
            }

            if (route is not null && !routes.Contains(route))
            {
                problems.Add(row.File, row.Line, "route_id", $"unknown route_id '{route}' (not in routes.txt)");
                ok = false;
            }

            foreach ((string field, string? zone) in new[] { ("origin_id", origin), ("destination_id", destination) })
            {
                if (zone is not null && !zones.Contains(zone))
                {
                    problems.Add(row.File, row.Line, field, $"unknown zone '{zone}' (no stop of stops.txt has it as zone_id)");
                    ok = false;
                }
            }

            if (origin is null != destination is null)
            {
                problems.Add(row.File, row.Line, origin is null ? "origin_id" : "destination_id", "an origin–destination fare needs both origin_id and destination_id");
                ok = false;
            }

            if (row["contains_id"] is { Length: > 0 })
            {
                problems.Add(row.File, row.Line, "contains_id", "fares by the zones a ride passes through are not supported (use origin_id and destination_id)");
                ok = false;
            }

            if (ok)
            {
                feed.FareRules.Add(new GtfsFareRule(fare, route, origin, destination, row.Line));
            }
        }
    }

    private static void ReadTranslations(GtfsFeedSource source, GtfsFeed feed, GtfsProblems problems)
    {
        const string file = "translations.txt";
        if (!source.Has(file))
        {
            return;
        }

        // The header says which form: peek at it through a read that requires nothing.
        bool gtfsForm = false;
        bool oldForm = false;
        foreach (GtfsRow row in GtfsCsv.Read(source, file, required: false, [], problems))
        {
            gtfsForm = row.HasColumn("table_name");
            oldForm = row.HasColumn("trans_id");
            break;
        }

        if (gtfsForm)
        {
            foreach (GtfsRow row in GtfsCsv.Read(source, file, required: false, ["table_name", "field_name", "language", "translation"], problems))
            {
                string table = row["table_name"];
                string field = row["field_name"];
                if (row["record_id"] is { Length: > 0 } record)
                {
                    feed.Translations.AddForRecord(table, field, record, row["language"], row["translation"]);
                }
                else if (row["field_value"] is { Length: > 0 } value)
                {
                    feed.Translations.AddForValue(table, field, value, row["language"], row["translation"]);
                }
                else if (table != "feed_info")
                {
                    problems.Add(row.File, row.Line, "record_id", "a translation names its record by record_id or field_value");
                }
            }
        }
        else if (oldForm)
        {
            foreach (GtfsRow row in GtfsCsv.Read(source, file, required: false, ["trans_id", "lang", "translation"], problems))
            {
                feed.Translations.AddForText(row["trans_id"], row["lang"], row["translation"]);
            }
        }
        else
        {
            problems.Add(file, 1, "table_name", "missing column: expected the GTFS form (table_name, field_name, language, translation) or the older GTFS-JP form (trans_id, lang, translation)");
        }
    }

    private static void ReadEndDate(GtfsFeedSource source, GtfsFeed feed, GtfsProblems problems)
    {
        foreach (GtfsRow row in GtfsCsv.Read(source, "feed_info.txt", required: false, [], problems))
        {
            if (row["feed_end_date"].Length > 0 && Date(row, "feed_end_date", problems) is { } end)
            {
                feed.EndDate = (end, $"feed_info.txt feed_end_date, line {row.Line}");
            }
        }

        if (feed.EndDate is not null)
        {
            return;
        }

        foreach (GtfsRow row in GtfsCsv.Read(source, "calendar.txt", required: false, ["service_id", "end_date"], problems))
        {
            if (Date(row, "end_date", problems) is { } end && (feed.EndDate is null || end > feed.EndDate.Value.Date))
            {
                feed.EndDate = (end, $"calendar.txt end_date, line {row.Line}");
            }
        }
    }

    private static string? Required(GtfsRow row, string column, GtfsProblems problems)
    {
        string value = row[column];
        if (value.Length == 0)
        {
            problems.Add(row.File, row.Line, column, "missing");
            return null;
        }

        return value;
    }

    private static double? Coordinate(GtfsRow row, string column, double limit, GtfsProblems problems)
    {
        string text = row[column];
        if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value))
        {
            problems.Add(row.File, row.Line, column, text.Length == 0 ? "missing" : $"expected decimal degrees (WGS84), got '{text}'");
            return null;
        }

        if (value < -limit || value > limit)
        {
            problems.Add(row.File, row.Line, column, string.Create(CultureInfo.InvariantCulture, $"must be between -{limit} and {limit}, got {text}"));
            return null;
        }

        if (value == 0)
        {
            // 0 is what an exporter writes for "unknown": a stop in the Gulf of Guinea would match no bus.
            problems.Add(row.File, row.Line, column, "0 is not a position (the stop has no coordinates?)");
            return null;
        }

        return value;
    }

    private static DateOnly? Date(GtfsRow row, string column, GtfsProblems problems)
    {
        if (DateOnly.TryParseExact(row[column], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly date))
        {
            return date;
        }

        problems.Add(row.File, row.Line, column, $"expected a date YYYYMMDD, got '{row[column]}'");
        return null;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
