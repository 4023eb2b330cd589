# bytescope-snippet: min=3.6
import asyncio


async def iterate(source, lock, other):
    total = 0
    async for value in source:
        if value < 0:
            continue
        total += value
    else:
        total += 1
    async with lock as a, other:
        total += await (await a.read()).query()
    return total


async def ticker(n):
    for i in range(n):
        yield i
        await asyncio.sleep(0)


async def comprehensions(source, coros):
    a = [x async for x in source]
    b = {x: y async for x, y in source if x}
    c = [await c for c in coros]
    d = (x async for x in source)
    return a, b, c, d
